// The unit an application publishes: topic, title, body (and what it is
// written in), priority, tags, attributes and files.
#pragma once

#include <notibus/attachment.hpp>
#include <notibus/body_format.hpp>
#include <notibus/priority.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus {

struct message {
  std::string id;  // left empty: the bus assigns a sortable id at publish
  std::string topic;
  std::string title;
  std::string body;
  notibus::priority priority = priority::normal;
  std::vector<std::string> tags;
  std::map<std::string, std::string> attributes;
  std::vector<std::string> channels;  // non-empty: deliver to these, bypassing routes
  std::optional<std::string> idempotency_key;
  std::chrono::system_clock::time_point created_at{};  // zero: set at publish
  body_format format = body_format::text;              // markdown, html: rendered per destination
  std::vector<attachment> attachments;                 // stored once, shared by every delivery
};

// The attribute an ingestion dialect records itself in ("ntfy", ...), which
// routes match as `match.source`; a message without it came in as "api".
inline constexpr const char* source_attribute = "notibus.source";
inline constexpr const char* api_source = "api";
// Where a message can come in: the API (and the library), then each
// ingestion dialect of `notibus serve` (docs/ingest.md).
inline constexpr std::string_view message_sources[] = {
    "api", "apprise", "ntfy", "gotify", "alertmanager", "grafana", "slack", "discord"};
// The message's source: its source attribute, or "api"; always one of
// message_sources (an unknown attribute value gives "api"), so the view lives
// as long as the program.
std::string_view source_of(const message& m);

// A new id: 26 characters of Crockford base32 (48-bit milliseconds, then a
// counter), so ids sort by creation time, also within one millisecond.
std::string make_message_id();

}  // namespace notibus
