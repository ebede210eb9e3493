// The loader's `routes`: matches, targets and strategies, each target
// checked against the channels read.
#include "loader.hpp"

#include <notibus/message.hpp>

#include <regex>

#include "../services/service_channel.hpp"
#include "../services/service_url.hpp"
#include "core_schema.hpp"
#include "expand.hpp"
#include "route_check.hpp"
#include "suggest.hpp"
#include "yaml_text.hpp"

namespace notibus {

void loader::read_routes(const YAML::Node& node) {
  if (!node.IsSequence()) {
    sink_.add(node.Mark(), "routes",
              "expected a list of routes, got " + describe_node(node, false));
    return;
  }
  std::vector<std::string> channel_names;
  for (const auto& c : cfg_.channels) channel_names.push_back(c.name);
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = "routes[" + std::to_string(i) + "]";
    section_values s;
    route r = read_core_section(node[i], schema::route(), path, &s);
    static const std::vector<std::string> known(std::begin(message_sources),
                                                std::end(message_sources));
    for (const auto& source : r.match.sources)
      if (std::find(known.begin(), known.end(), source) == known.end())
        sink_.add(
            s.mark_of("match.source"), s.path_of("match.source"),
            "unknown source \"" + source + "\"" +
                (nearest(source, known) ? "; did you mean \"" + *nearest(source, known) + "\"?"
                                        : " (api or an ingest dialect's name)"));
    if (s.find("to")) {
      if (r.to.empty()) sink_.add(s.mark_of("to"), s.path_of("to"), "needs at least one channel");
      check_route_targets(s, r.to, channel_names);
    }
    cfg_.routes.push_back(std::move(r));
    if (auto by = shadowing_route(cfg_.routes, i))
      cfg_.warnings.push_back({sink_.file(), node[i].Mark().line + 1, node[i].Mark().column + 1,
                               path,
                               "never matches: routes[" + std::to_string(*by) +
                                   "] comes first without continue: true and takes every "
                                   "message it would"});
  }
}

void loader::check_route_targets(const section_values& s, const std::vector<std::string>& to,
                                 const std::vector<std::string>& channel_names) {
  // Channels that failed validation are reported already; naming them again
  // as unknown would only add noise.
  const located_value* written = s.find("to");
  const bool from_environment = written && !written->substituted.empty();
  for (const auto& name : to) {
    if (declared_channels_.count(name)) continue;
    // A name that ${...} filled in is not quoted: it may be anything.
    std::string msg = from_environment ? "unknown channel (a name filled in by ${...})"
                                       : "unknown channel \"" + name + "\"";
    if (auto n = nearest(name, channel_names)) msg += "; did you mean \"" + *n + "\"?";
    sink_.add(s.mark_of("to"), s.path_of("to"), msg);
  }
}

}  // namespace notibus
