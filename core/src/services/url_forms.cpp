#include "url_forms.hpp"

#include <notibus/plugin/text.hpp>

#include <regex>
#include <set>

namespace notibus::services {
namespace {

option_spec key(const char* name, notibus_option_type type, const char* doc,
                bool required = false) {
  option_spec s;
  s.key = name;
  s.type = type;
  s.doc = doc;
  s.required = required;
  return s;
}

const std::vector<option_spec>& form_schema() {
  static const std::vector<option_spec> specs = {
      key("form", NOTIBUS_OPTION_STRING, "scheme://{capture}/...", true),
      key("options", NOTIBUS_OPTION_STRING_MAP, "Option -> text with {captures}."),
  };
  return specs;
}

// {name} and {name*} in a form; {name}, {raw:name} and {query} in a text.
const std::regex& capture_pattern() {
  static const std::regex capture("\\{(raw:)?([a-z0-9_]+)\\*?\\}");
  return capture;
}

std::set<std::string> captures_in(const std::string& text) {
  std::set<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), capture_pattern()), end; it != end; ++it)
    out.insert((*it)[2]);
  return out;
}

struct form_reader {
  const std::function<bool(const std::string&)>& is_option;
  diagnostics_sink& sink;
  url_forms out;

  void read_form(const YAML::Node& node, const std::string& path) {
    section_values s = validate_section(node, form_schema(), path, sink, {}, false);
    url_form f;
    if (const auto* p = get<std::string>(s, "form")) f.pattern = *p;
    static const std::regex form_pattern("[a-z][a-z0-9+]*://.+");
    if (!f.pattern.empty() && !std::regex_match(f.pattern, form_pattern))
      sink.add(s.mark_of("form"), path + ".form", "expected scheme://...");
    const std::set<std::string> captures = captures_in(f.pattern);
    const auto* sets = get<text_pairs>(s, "options");
    if (sets) f.sets = *sets;
    std::set<std::string> spoken_for;  // options set and captures used by options:
    for (const auto& [option, text] : f.sets) {
      spoken_for.insert(option);
      for (const auto& c : captures_in(text)) spoken_for.insert(c);
    }
    // A capture named like an option sets it, unless options: uses it otherwise.
    for (const auto& c : captures)
      if (is_option(c) && !spoken_for.count(c)) f.sets.emplace_back(c, "{" + c + "}");
    std::set<std::string> used;
    for (const auto& [option, text] : f.sets) {
      if (!is_option(option))
        sink.add(s.mark_of("options"), path, "unknown option \"" + option + "\"");
      for (const auto& c : captures_in(text)) {
        if (c == "query") {  // the URL's whole query
          out.takes_query = true;
          continue;
        }
        used.insert(c);
        if (!captures.count(c))
          sink.add(s.mark_of("options"), path, "{" + c + "} is not captured by the form");
      }
    }
    // A part of the URL that goes nowhere would be dropped without a word.
    for (const auto& c : captures)
      if (!used.count(c))
        sink.add(s.mark_of("form"), path + ".form",
                 "{" + c + "} sets no option: name it after one, or use it in options:");
    out.urls.push_back(std::move(f));
  }

  void read_query(const YAML::Node& query) {
    if (!query.IsMap()) {
      sink.add(query.Mark(), "query", "expected a mapping: URL parameter -> option");
      return;
    }
    for (const auto& kv : query) {
      const std::string option = kv.second.IsScalar() ? kv.second.Scalar() : "";
      if (!is_option(option))
        sink.add(kv.second.Mark(), "query." + kv.first.Scalar(),
                 "unknown option \"" + sdk::json_escape(option) + "\"");
      out.query.emplace_back(kv.first.Scalar(), option);
    }
  }
};

}  // namespace

url_forms read_url_forms(const YAML::Node& urls, const YAML::Node& query,
                         const std::function<bool(const std::string&)>& is_option,
                         diagnostics_sink& sink) {
  form_reader r{is_option, sink, {}};
  if (urls && !urls.IsSequence()) sink.add(urls.Mark(), "urls", "expected a list of URL forms");
  if (urls && urls.IsSequence())
    for (std::size_t i = 0; i < urls.size(); ++i)
      r.read_form(urls[i], "urls[" + std::to_string(i) + "]");
  if (query) r.read_query(query);
  return std::move(r.out);
}

std::optional<channel_url_forms> read_channel_url_forms(const YAML::Node& root,
                                                        diagnostics_sink& sink) {
  static const std::vector<option_spec> top = {
      key("channel", NOTIBUS_OPTION_STRING, "The plugin's channel type.", true),
      key("description", NOTIBUS_OPTION_STRING, "What the forms are.", true),
      key("defaults", NOTIBUS_OPTION_STRING_MAP, "Option -> text with {captures}."),
  };
  const section_values s = validate_section(root, top, "", sink, {"urls", "query"}, false);
  channel_url_forms out;
  if (const auto* c = get<std::string>(s, "channel")) out.channel = *c;
  if (const auto* d = get<text_pairs>(s, "defaults")) out.defaults = *d;
  // Options are the plugin's: any name is taken here and checked against its
  // table when a URL is read (the plugin may be a module not loaded yet).
  out.forms = read_url_forms(
      root["urls"], root["query"], [](const std::string&) { return true; }, sink);
  if (out.forms.urls.empty()) sink.add(root.Mark(), "urls", "a URL-forms file lists some forms");
  if (!sink.empty()) return std::nullopt;
  return out;
}

}  // namespace notibus::services
