#include "request_text.hpp"

#include <utility>
#include <vector>

#include "header_name.hpp"

namespace notibus::http::detail {

std::string request_text(const request& req, std::string_view user_agent) {
  const std::string host = req.url.authority();
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  fields.reserve(req.headers.size() + 2);
  auto set = [&fields](std::string_view name, std::string_view value) {
    for (auto it = fields.begin(); it != fields.end(); ++it)
      if (equals_nocase(it->first, name)) {
        fields.erase(it);
        break;
      }
    fields.emplace_back(name, value);
  };
  set("Host", host);
  set("User-Agent", user_agent);
  for (const auto& [name, value] : req.headers) set(name, value);

  const std::size_t body_size = req.body_size();
  const bool has_body =
      body_size != 0 || req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  const std::string length = has_body ? std::to_string(body_size) : std::string();
  std::size_t size = req.method.size() + req.url.target.size() + 16 + length.size() + 20;
  for (const auto& [name, value] : fields) size += name.size() + value.size() + 4;
  std::string out;
  out.reserve(size + req.body.size());
  out.append(req.method).append(" ").append(req.url.target).append(" HTTP/1.1\r\n");
  for (const auto& [name, value] : fields)
    out.append(name).append(": ").append(value).append("\r\n");
  if (has_body) out.append("Content-Length: ").append(length).append("\r\n");
  out.append("\r\n").append(req.body);
  return out;
}

}  // namespace notibus::http::detail
