#include "endpoints.hpp"

#include "../common/http/url.hpp"

namespace notibus::callmebot {
namespace {

constexpr endpoint_info endpoints[] = {
    // name, path, phone, apikey, user, html, links, bold
    {"whatsapp", "/whatsapp.php", true, true, false, false, false, "*", "*"},
    {"signal", "/signal/send.php", true, true, false, false, false, "", ""},
    {"facebook", "/facebook/send.php", false, true, false, false, false, "", ""},
    {"telegram", "/text.php", false, false, true, true, true, "<b>", "</b>"},
    {"telegram_group", "/telegram/group.php", false, true, false, true, false, "<b>", "</b>"},
};

}  // namespace

const endpoint_info* find_endpoint(std::string_view name) {
  for (const auto& s : endpoints)
    if (s.name == name) return &s;
  return nullptr;
}

std::string build_target(const endpoint_info& s, std::string_view base_path, const recipient& r,
                         std::string_view text) {
  std::string query;
  auto add = [&](std::string_view key, std::string_view value) {
    query += (query.empty() ? "?" : "&") + std::string(key) + "=" + http::percent_encode(value);
  };
  // The order each endpoint documents.
  if (s.name == "whatsapp") {
    add("phone", r.phone);
    add("text", text);
    add("apikey", r.apikey);
  } else if (s.name == "signal") {
    add("phone", r.phone);
    add("apikey", r.apikey);
    add("text", text);
  } else if (s.name == "telegram") {
    add("user", r.user);
    add("text", text);
  } else {  // facebook, telegram_group
    add("apikey", r.apikey);
    add("text", text);
  }
  if (s.takes_html && r.html) add("html", *r.html ? "yes" : "no");
  if (s.takes_links && r.links) add("links", *r.links ? "yes" : "no");
  std::string path(base_path);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path + std::string(s.path) + query;
}

}  // namespace notibus::callmebot
