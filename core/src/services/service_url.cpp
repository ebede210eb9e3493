#include "service_url.hpp"

#include <notibus/plugin/text.hpp>

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>

namespace notibus::services {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::pair<std::string, std::string>> query_params(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (!pair.empty())
      out.emplace_back(
          sdk::percent_decode(pair.substr(0, eq)),
          eq == std::string_view::npos ? "" : sdk::percent_decode(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

// A form's text with its captures: {name} percent-decoded, {raw:name} as
// written in the URL, {query} the URL's query ("?a=b", or nothing).
std::string fill(std::string_view text, const text_pairs& captures, std::string_view raw_query) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t close = text[i] == '{' ? text.find('}', i) : std::string_view::npos;
    if (close == std::string_view::npos) {
      out += text[i++];
      continue;
    }
    std::string_view name = text.substr(i + 1, close - i - 1);
    i = close + 1;
    if (name == "query") {
      if (!raw_query.empty()) out.append("?").append(raw_query);
      continue;
    }
    const bool raw = name.substr(0, 4) == "raw:";
    if (raw) name.remove_prefix(4);
    if (!name.empty() && name.back() == '*') name.remove_suffix(1);
    for (const auto& [k, v] : captures)
      if (k == name) out += raw ? v : sdk::percent_decode(v);
  }
  return out;
}

// One list item per piece of `value` between `separator`s (empty ones skipped).
void add_items(url_channel& out, const std::string& option, std::string_view value,
               char separator) {
  for (std::size_t start = 0; start <= value.size();) {
    const std::size_t at = value.find(separator, start);
    if (at > start) out.options.emplace_back(option, std::string(value.substr(start, at - start)));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
}

// What a matched URL's forms belong to: a service definition, or a plugin's
// channel type (whose option table says which options exist).
struct form_owner {
  std::string type;
  const url_forms* forms = nullptr;
  const text_pairs* defaults = nullptr;
  bool available = true;  // a plugin's channel type: the plugin is loaded
  // The option's type; nullopt when there is no such option.
  std::function<std::optional<notibus_option_type>(const std::string&)> option_type;
};

std::optional<notibus_option_type> plugin_option_type(const notibus_plugin_v1* plugin,
                                                      const std::string& option) {
  for (std::size_t i = 0; plugin && i < plugin->option_count; ++i) {
    const std::string_view key = plugin->options[i].key;
    if (key == option) return plugin->options[i].type;
    if (key.substr(0, key.find('.')) == option) return NOTIBUS_OPTION_STRING_MAP;
  }
  return std::nullopt;
}

bool is_set(const url_channel& c, const std::string& option) {
  for (const auto& kv : c.options)
    if (kv.first == option) return true;
  return false;
}

// The options `form` (matched, with `captures`) and the URL's parameters set.
url_channel apply_form(const std::string& scheme, const form_owner& owner, const url_form& form,
                       const text_pairs& captures, const text_pairs& params,
                       std::string_view raw_query) {
  url_channel out;
  out.type = owner.type;
  auto refuse = [&](std::string why) { return url_channel{{}, {}, std::move(why)}; };
  if (!owner.available)
    return refuse(scheme + ":// is the " + owner.type +
                  " channel, which is not loaded (add its module's folder to plugin_dirs)");
  auto add = [&](const std::string& option, const std::string& value, char separator) {
    const auto type = owner.option_type(option);
    if (!type) return false;
    if (*type == NOTIBUS_OPTION_STRING_LIST)
      add_items(out, option, value, separator);
    else
      out.options.emplace_back(option, value);
    return true;
  };
  for (const auto& [option, text] : form.sets)
    // A capture that spans "/" fills a list one item per segment.
    if (!add(option, fill(text, captures, raw_query), '/'))
      return refuse(scheme + ":// sets \"" + option + "\", which the " + owner.type +
                    " channel does not have");
  for (const auto& given : params) {
    const std::string& param =
        given.first;  // not a structured binding: clang 14 cannot capture one
    const std::string& value = given.second;
    if (param == "format") {  // Apprise's: how the service is written to
      if (value != "text" && value != "markdown" && value != "html")
        return refuse("?format= takes text, markdown or html (got \"" + sdk::json_escape(value) +
                      "\")");
      // text: plain for this channel; markdown, html: the service's own way.
      const bool service = owner.defaults == nullptr;  // a plugin's forms have defaults
      if (value == "text" && service) out.options.emplace_back("render", "text");
      continue;
    }
    const auto it = std::find_if(owner.forms->query.begin(), owner.forms->query.end(),
                                 [&](const auto& m) { return m.first == param; });
    if (it != owner.forms->query.end()) {
      if (!add(it->second, value, ',')) return refuse("unknown option \"" + it->second + "\"");
      continue;
    }
    if (owner.forms->takes_query) continue;  // the whole query went into an option
    std::string names;
    for (const auto& m : owner.forms->query) names += (names.empty() ? "" : ", ") + m.first;
    return refuse("unknown " + scheme + ":// parameter \"" + sdk::json_escape(param) +
                  "\" (known: " + (names.empty() ? "none" : names) + ")");
  }
  if (owner.defaults)
    for (const auto& [option, text] : *owner.defaults) {
      const std::string value = fill(text, captures, raw_query);
      if (!value.empty() && !is_set(out, option) && !add(option, value, ','))
        return refuse(scheme + ":// sets \"" + option + "\", which the " + owner.type +
                      " channel does not have");
    }
  return out;
}

// Every owner of URL forms: the services, then the plugins' channel types.
std::vector<form_owner> owners_of_forms(catalog& services) {
  std::vector<form_owner> owners;
  for (const service_info* info : services.list()) {
    const service_definition* def = services.find(info->name);
    owners.push_back({def->name, &def->forms, nullptr, true,
                      [def](const std::string& option) -> std::optional<notibus_option_type> {
                        for (const auto& o : def->options)
                          if (o.key == option) return o.type;
                        return std::nullopt;
                      }});
  }
  for (const auto& c : services.channel_forms()) {
    const notibus_plugin_v1* plugin = services.plugin(c.channel);
    owners.push_back(
        {c.channel, &c.forms, &c.defaults, plugin != nullptr,
         [plugin](const std::string& option) { return plugin_option_type(plugin, option); }});
  }
  return owners;
}

}  // namespace

bool match_form(std::string_view form, std::string_view text,
                std::vector<std::pair<std::string, std::string>>& captures) {
  if (form.empty()) return text.empty();
  if (form.front() != '{') {
    if (text.empty() || std::tolower(static_cast<unsigned char>(text.front())) !=
                            std::tolower(static_cast<unsigned char>(form.front())))
      return false;
    return match_form(form.substr(1), text.substr(1), captures);
  }
  const std::size_t close = form.find('}');
  std::string_view name = form.substr(1, close - 1);
  const bool spans = !name.empty() && name.back() == '*';
  if (spans) name.remove_suffix(1);
  const std::string_view after = form.substr(close + 1);
  // Try the shortest capture first: a literal after it ends it at its first
  // occurrence; a capture at the end takes the rest.
  for (std::size_t n = 1; n <= text.size(); ++n) {
    const char c = text[n - 1];
    if (!spans && (c == '/' || c == '?' || c == '#')) break;
    if (!after.empty() && after.front() != '{' && n < text.size() &&
        std::tolower(static_cast<unsigned char>(text[n])) !=
            std::tolower(static_cast<unsigned char>(after.front())))
      continue;
    if (after.empty() && n != text.size()) continue;
    captures.emplace_back(std::string(name), std::string(text.substr(0, n)));
    if (match_form(after, text.substr(n), captures)) return true;
    captures.pop_back();
  }
  return false;
}

url_channel channel_from_url(std::string_view url, catalog& services) {
  const std::size_t sep = url.find("://");
  static constexpr std::string_view scheme_chars = "abcdefghijklmnopqrstuvwxyz0123456789+";
  const std::string scheme = sep == std::string_view::npos ? "" : lower(url.substr(0, sep));
  if (scheme.empty() || scheme.find_first_not_of(scheme_chars) != std::string::npos)
    return url_channel{{}, {}, "not a service URL (expected scheme://...)"};
  const std::string_view after = url.substr(sep + 3);
  const std::size_t q = after.find('?');
  const std::string_view rest = after.substr(0, q);
  const std::string_view raw_query = q == std::string_view::npos ? "" : after.substr(q + 1);
  const auto params = query_params(raw_query);

  std::vector<std::string> known_schemes;
  std::string expected;
  for (const form_owner& owner : owners_of_forms(services)) {
    for (const auto& form : owner.forms->urls) {
      const std::string form_scheme = form.pattern.substr(0, form.pattern.find("://"));
      if (std::find(known_schemes.begin(), known_schemes.end(), form_scheme) == known_schemes.end())
        known_schemes.push_back(form_scheme);
      if (form_scheme != scheme) continue;
      expected += (expected.empty() ? "" : " or ") + form.pattern;
      text_pairs captures;
      if (match_form(std::string_view(form.pattern).substr(form_scheme.size() + 3), rest, captures))
        return apply_form(scheme, owner, form, captures, params, raw_query);
    }
  }
  if (!expected.empty())
    return url_channel{{}, {}, "a " + scheme + ":// URL is written " + expected};
  std::sort(known_schemes.begin(), known_schemes.end());
  std::string list;
  for (const auto& s : known_schemes) list += (list.empty() ? "" : ", ") + s;
  return url_channel{{}, {}, "unknown URL scheme \"" + scheme + "\" (known: " + list + ")"};
}

}  // namespace notibus::services
