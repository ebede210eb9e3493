#include "smtp_reply.hpp"

namespace notibus::email {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::string smtp_reply::summary() const {
  std::string text;
  for (const auto& l : lines) text += (text.empty() ? "" : " ") + l;
  return std::to_string(code) + (text.empty() ? "" : " " + text);
}

reply_line add_reply_line(smtp_reply& reply, std::string_view line) {
  if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
      (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
    return reply_line::malformed;
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (reply.code != 0 && code != reply.code) return reply_line::inconsistent;
  reply.code = code;
  reply.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
  return line.size() == 3 || line[3] == ' ' ? reply_line::last : reply_line::more;
}

}  // namespace notibus::email
