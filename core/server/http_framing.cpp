#include "http_framing.hpp"

#include <notibus/plugin/text.hpp>

#include <cctype>
#include <vector>

namespace notibus::serve {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

framing check_transfer_encoding(std::string_view value) {
  std::vector<std::string> codings;
  while (true) {
    const std::size_t comma = value.find(',');
    // A coding may carry parameters ("gzip;q=1"): its name is what counts.
    std::string_view item = trim(value.substr(0, comma));
    item = trim(item.substr(0, item.find(';')));
    if (!item.empty()) codings.push_back(lower(item));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  if (codings.empty() || codings.back() != "chunked") return framing::bad_request;
  for (std::size_t i = 0; i + 1 < codings.size(); ++i)
    if (codings[i] == "chunked") return framing::bad_request;  // chunked twice
  return codings.size() == 1 ? framing::ok : framing::not_implemented;
}

std::string media_type(std::string_view content_type) {
  return lower(trim(content_type.substr(0, content_type.find(';'))));
}

std::string_view bearer_credentials(std::string_view authorization) {
  authorization = trim(authorization);
  const std::size_t space = authorization.find(' ');
  if (space == std::string_view::npos || space != 6) return {};
  const std::string_view scheme = authorization.substr(0, space);
  for (std::size_t i = 0; i < 6; ++i)
    if (std::tolower(static_cast<unsigned char>(scheme[i])) != "bearer"[i]) return {};
  return trim(authorization.substr(space));
}

std::string loggable_target(std::string_view target) {
  const std::size_t query = target.find('?');
  if (query == std::string_view::npos) return std::string(target);
  return std::string(target.substr(0, query)) + "?REDACTED";
}

std::string with_valid_utf8(std::string text) {
  if (sdk::is_valid_utf8(text)) return text;  // nearly always: ASCII is checked 8 bytes at a time
  std::string out;
  std::size_t copied = 0;  // text[0, copied) is in `out` already (only once one is bad)
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = sdk::utf8_sequence_length(text, i);
    if (n != 0) {
      i += n;
      continue;
    }
    out.append(text, copied, i - copied).append("\xEF\xBF\xBD");
    copied = ++i;
  }
  return out.append(text, copied, std::string::npos);
}

}  // namespace notibus::serve
