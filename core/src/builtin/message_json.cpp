#include "message_json.hpp"

#include <ctime>

#include "../json_escape.hpp"

namespace notibus {

std::string format_utc_iso8601(int64_t epoch_ms) {
  const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(epoch_ms % 1000));
  return std::string(buf, n) + ms;
}

std::string message_to_json(const sdk::message_view& m) {
  auto quoted = [](std::string_view s) { return "\"" + json_escape(s) + "\""; };
  std::string out = "{\"id\":" + quoted(m.id()) + ",\"topic\":" + quoted(m.topic()) +
                    ",\"title\":" + quoted(m.title()) + ",\"body\":" + quoted(m.body()) +
                    ",\"priority\":" + quoted(m.priority()) + ",\"tags\":[";
  bool first = true;
  for (auto t : m.tags()) {
    out += (first ? "" : ",") + quoted(t);
    first = false;
  }
  out += "],\"attributes\":{";
  first = true;
  for (auto [k, v] : m.attributes()) {
    out += (first ? "" : ",") + quoted(k) + ":" + quoted(v);
    first = false;
  }
  out += "},\"created_at\":" + quoted(format_utc_iso8601(m.created_at_ms())) + "}";
  return out;
}

}  // namespace notibus
