#include "redact.hpp"

#include <notibus/plugin/text.hpp>

#include <algorithm>

#include "base64.hpp"

namespace notibus::http {
void redactor::add(std::string_view secret) {
  for (std::string form :
       {std::string(secret), percent_encode(secret), sdk::percent_decode(secret)}) {
    if (form.size() < min_length ||
        std::find(secrets_.begin(), secrets_.end(), form) != secrets_.end())
      continue;
    secrets_.push_back(std::move(form));
  }
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void redactor::add_url(const target_url& url) {
  if (!url.userinfo.empty()) {
    add(url.userinfo);
    add(base64_encode(sdk::percent_decode(url.userinfo)));
    const std::size_t colon = url.userinfo.find(':');
    add(url.userinfo.substr(0, colon));
    if (colon != std::string::npos) add(url.userinfo.substr(colon + 1));
  }
  const std::string_view target = url.target;
  const std::size_t query = target.find('?');
  const std::string_view path = target.substr(0, query);
  if (path.size() >= 8) add(path);
  for (std::size_t at = 0; at < path.size();) {
    const std::size_t slash = path.find('/', at);
    const std::string_view segment = path.substr(at, slash - at);
    if (segment.size() >= 12) add(segment);
    if (slash == std::string_view::npos) break;
    at = slash + 1;
  }
  if (query == std::string_view::npos) return;
  std::string_view params = target.substr(query + 1);
  while (!params.empty()) {
    const std::size_t amp = params.find('&');
    const std::string_view pair = params.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos) add(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    params.remove_prefix(amp + 1);
  }
}

std::string redactor::apply(std::string text) const {
  for (const auto& secret : secrets_)
    for (std::size_t at = 0; (at = text.find(secret, at)) != std::string::npos;) {
      text.replace(at, secret.size(), "REDACTED");
      at += 8;
    }
  return text;
}

}  // namespace notibus::http
