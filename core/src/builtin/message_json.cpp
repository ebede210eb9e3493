#include "message_json.hpp"

#include <notibus/plugin/text.hpp>

namespace notibus {

std::string message_to_json(const sdk::message_view& m) {
  auto quoted = [](std::string_view s) { return "\"" + sdk::json_escape(s) + "\""; };
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
  out += "},\"created_at\":" + quoted(sdk::format_rfc3339_utc(m.created_at_ms())) + "}";
  return out;
}

}  // namespace notibus
