#include "console_assets.hpp"

#include <string>

namespace notibus::serve {

namespace generated {
extern const std::string_view console_index_html;
extern const std::string_view console_js;
extern const std::string_view console_css;
}  // namespace generated

namespace {

struct asset {
  std::string_view path;
  std::string_view body;
  const char* type;
};

const asset assets[] = {
    {"/ui/", generated::console_index_html, "text/html; charset=utf-8"},
    {"/ui/console.js", generated::console_js, "text/javascript; charset=utf-8"},
    {"/ui/console.css", generated::console_css, "text/css; charset=utf-8"},
};

// No inline script or style, nothing from elsewhere, no framing, no forms
// posting anywhere: the page talks to this API only.
constexpr const char* content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace

std::optional<http_response> console_asset(std::string_view path) {
  if (path == "/ui" || path == "/ui/index.html") path = "/ui/";
  for (const auto& a : assets) {
    if (a.path != path) continue;
    http_response r{200, {}, std::string(a.body), a.type};
    r.headers.emplace_back("Content-Security-Policy", content_security_policy);
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }
  return std::nullopt;
}

std::size_t console_assets_size() {
  std::size_t n = 0;
  for (const auto& a : assets) n += a.body.size();
  return n;
}

}  // namespace notibus::serve
