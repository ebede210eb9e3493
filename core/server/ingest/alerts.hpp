// What the Alertmanager and Grafana dialects share: reading a notification
// of an alert group (Alertmanager's webhook version 4, which Grafana's
// extends) and turning it into messages.
#pragma once

#include <string>
#include <vector>

#include "json_reading.hpp"

namespace notibus::serve::ingest {

struct alert_group {
  explicit alert_group(json::object p) : payload(std::move(p)) {}  // keeps its storage
  json::object payload;
  std::string status;                       // "firing" or "resolved"
  std::vector<const json::object*> alerts;  // into payload
};

// Reads the status and alerts of `g.payload`, or says what is missing.
std::optional<refusal> read_alert_group(alert_group& g);

// One message for the group, or one per alert: Markdown, title "[FIRING:2]
// summary", priority from the severity label, labels and annotations as
// attributes, an idempotency key per notification.
std::vector<message> alert_messages(const alert_group& g, const message& base, bool per_alert);

// HMAC-SHA256 of `signed_text` with `secret`, compared in constant time to
// the hex digits a sender put in its signature header.
bool signature_matches(std::string_view secret, std::string_view signed_text,
                       std::string_view given_hex);

}  // namespace notibus::serve::ingest
