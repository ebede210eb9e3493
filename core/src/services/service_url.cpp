#include "service_url.hpp"

#include <notibus/plugin/text.hpp>

#include <algorithm>
#include <cctype>

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

std::string fill(std::string_view text,
                 const std::vector<std::pair<std::string, std::string>>& captures) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t close = text[i] == '{' ? text.find('}', i) : std::string_view::npos;
    if (close == std::string_view::npos) {
      out += text[i++];
      continue;
    }
    std::string_view name = text.substr(i + 1, close - i - 1);
    if (!name.empty() && name.back() == '*') name.remove_suffix(1);
    for (const auto& [k, v] : captures)
      if (k == name) out += v;
    i = close + 1;
  }
  return out;
}

// json(s):// is the webhook channel, mailto(s):// the email channel.
url_channel plugin_url(const std::string& scheme, std::string_view rest,
                       const std::vector<std::pair<std::string, std::string>>& params) {
  url_channel c;
  if (scheme == "json" || scheme == "jsons") {
    if (rest.empty() || rest.front() == '/') {
      c.error = "expected json://HOST[:PORT]/PATH or jsons://...";
      return c;
    }
    c.type = "webhook";
    std::string url = (scheme == "jsons" ? "https://" : "http://") + std::string(rest);
    if (!params.empty()) {
      std::string q;
      for (const auto& [k, v] : params) q += (q.empty() ? "?" : "&") + k + "=" + v;
      url += q;
    }
    c.options.emplace_back("url", url);
    return c;
  }
  // mailto://USER:PASSWORD@SMTP_HOST[:PORT]?to=A[,B]&from=ADDR
  const std::size_t at = rest.rfind('@');
  const std::string_view host_port = rest.substr(at == std::string_view::npos ? 0 : at + 1);
  if (host_port.empty() || host_port.find('/') != std::string_view::npos) {
    c.error = "expected mailto://USER:PASSWORD@SMTP_HOST[:PORT]?to=ADDRESS[,ADDRESS]&from=ADDRESS";
    return c;
  }
  c.type = "email";
  const std::size_t colon = host_port.rfind(':');
  c.options.emplace_back("host", sdk::percent_decode(host_port.substr(0, colon)));
  if (colon != std::string_view::npos)
    c.options.emplace_back("port", std::string(host_port.substr(colon + 1)));
  c.options.emplace_back("tls", scheme == "mailtos" ? "implicit" : "starttls");
  std::string user;
  if (at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const std::size_t sep = userinfo.find(':');
    user = sdk::percent_decode(userinfo.substr(0, sep));
    c.options.emplace_back("username", user);
    if (sep != std::string_view::npos)
      c.options.emplace_back("password", sdk::percent_decode(userinfo.substr(sep + 1)));
  }
  bool has_from = false, has_to = false;
  for (const auto& [k, v] : params) {
    if (k == "to") {
      has_to = true;
      for (std::size_t start = 0; start <= v.size();) {
        const std::size_t comma = v.find(',', start);
        const std::string one = v.substr(start, comma - start);
        if (!one.empty()) c.options.emplace_back("to", one);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (k == "from") {
      has_from = true;
      c.options.emplace_back("from", v);
    } else {
      return url_channel{
          {}, {}, "unknown mailto parameter \"" + sdk::json_escape(k) + "\" (known: to, from)"};
    }
  }
  if (!has_from && user.find('@') != std::string::npos) c.options.emplace_back("from", user);
  if (!has_to && !has_from && user.find('@') != std::string::npos)
    c.options.emplace_back("to", user);
  return c;
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
    captures.emplace_back(std::string(name), sdk::percent_decode(text.substr(0, n)));
    if (match_form(after, text.substr(n), captures)) return true;
    captures.pop_back();
  }
  return false;
}

url_channel channel_from_url(std::string_view url, catalog& services) {
  url_channel out;
  const std::size_t sep = url.find("://");
  static constexpr std::string_view scheme_chars = "abcdefghijklmnopqrstuvwxyz0123456789+";
  const std::string scheme = sep == std::string_view::npos ? "" : lower(url.substr(0, sep));
  if (scheme.empty() || scheme.find_first_not_of(scheme_chars) != std::string::npos) {
    out.error = "not a service URL (expected scheme://...)";
    return out;
  }
  const std::string_view after = url.substr(sep + 3);
  const std::size_t q = after.find('?');
  const std::string_view rest = after.substr(0, q);
  const auto params = query_params(q == std::string_view::npos ? "" : after.substr(q + 1));
  if (scheme == "json" || scheme == "jsons" || scheme == "mailto" || scheme == "mailtos")
    return plugin_url(scheme, rest, params);

  std::vector<std::string> known_schemes = {"json", "jsons", "mailto", "mailtos"};
  std::string expected;
  for (const service_info* info : services.list()) {
    const service_definition* def = services.find(info->name);
    for (const auto& form : def->urls) {
      const std::string form_scheme = form.pattern.substr(0, form.pattern.find("://"));
      if (std::find(known_schemes.begin(), known_schemes.end(), form_scheme) == known_schemes.end())
        known_schemes.push_back(form_scheme);
      if (form_scheme != scheme) continue;
      expected += (expected.empty() ? "" : " or ") + form.pattern;
      std::vector<std::pair<std::string, std::string>> captures;
      if (!match_form(std::string_view(form.pattern).substr(form_scheme.size() + 3), rest,
                      captures))
        continue;
      out.type = def->name;
      for (const auto& set : form.sets) {
        const std::string& option = set.first;
        std::string value = fill(set.second, captures);
        const auto spec = std::find_if(def->options.begin(), def->options.end(),
                                       [&](const option_spec& o) { return o.key == option; });
        if (spec == def->options.end() || spec->type != NOTIBUS_OPTION_STRING_LIST) {
          out.options.emplace_back(option, std::move(value));
          continue;
        }
        // A list from a capture that spans "/": one item per segment.
        for (std::size_t start = 0; start <= value.size();) {
          const std::size_t slash = value.find('/', start);
          if (slash > start) out.options.emplace_back(option, value.substr(start, slash - start));
          if (slash == std::string::npos) break;
          start = slash + 1;
        }
      }
      for (const auto& given : params) {
        const std::string& param = given.first;
        const std::string& value = given.second;
        const auto it = std::find_if(def->query.begin(), def->query.end(),
                                     [&](const auto& m) { return m.first == param; });
        if (it == def->query.end()) {
          std::string names;
          for (const auto& m : def->query) names += (names.empty() ? "" : ", ") + m.first;
          out.type.clear();
          out.options.clear();
          out.error = "unknown " + scheme + ":// parameter \"" + sdk::json_escape(param) +
                      "\" (known: " + (names.empty() ? "none" : names) + ")";
          return out;
        }
        out.options.emplace_back(it->second, value);
      }
      return out;
    }
  }
  if (!expected.empty()) {
    out.error = "a " + scheme + ":// URL is written " + expected;
    return out;
  }
  std::sort(known_schemes.begin(), known_schemes.end());
  std::string list;
  for (const auto& s : known_schemes) list += (list.empty() ? "" : ", ") + s;
  out.error = "unknown URL scheme \"" + scheme + "\" (known: " + list + ")";
  return out;
}

}  // namespace notibus::services
