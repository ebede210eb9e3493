// Alertmanager's webhook (version 4) and Grafana's, which extends it: one
// message per group (or per alert), labels and annotations kept as
// attributes, and an idempotency key from what identifies a notification
// (group, status, alerts and when they started), so the retries of
// Alertmanager and Grafana never notify twice.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <stdexcept>

#include "alerts.hpp"

namespace notibus::serve::ingest {
namespace {

std::string hex(const unsigned char* bytes, unsigned size) {
  static const char digits[] = "0123456789abcdef";
  std::string out(2 * std::size_t{size}, '0');
  for (unsigned i = 0; i < size; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up on every
  // call, which cost more than hashing a notification's key.
  static const EVP_MD* const fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!EVP_Digest(text.data(), text.size(), digest, &size, fetched ? fetched : EVP_sha256(),
                  nullptr))
    throw std::runtime_error("SHA-256 is not available from OpenSSL");
  return hex(digest, size);
}

// A severity label as a priority; a firing alert without one is high.
priority priority_of(std::string_view status, std::string_view severity) {
  if (status == "resolved" || status == "ok" || status == "normal") return priority::normal;
  if (severity == "critical" || severity == "page" || severity == "emergency" ||
      severity == "fatal")
    return priority::urgent;
  if (severity == "info" || severity == "informational" || severity == "none") return priority::low;
  return priority::high;
}

// Labels or annotations as attributes "label.NAME" / "annotation.NAME".
void keep_as_attributes(const json::object* pairs, const char* prefix, message& m) {
  if (!pairs) return;
  for (const auto& [k, v] : *pairs)
    if (v.is_string() && m.attributes.size() < 64)
      m.attributes[prefix + std::string(k)] = std::string(v.as_string());
}

std::string label(const json::object& alert, const char* part, std::string_view name) {
  const json::object* o = object_of(alert, part);
  return o ? text_of(*o, name) : std::string();
}

// What identifies one alert's notification: fingerprint (or its labels) and start.
std::string identity(const json::object& alert) {
  std::string id = text_of(alert, "fingerprint");
  if (id.empty())
    if (const json::object* labels = object_of(alert, "labels")) id = json::serialize(*labels);
  return id + "@" + text_of(alert, "startsAt");
}

}  // namespace

std::optional<refusal> read_alert_group(alert_group& out) {
  const json::array* alerts = array_of(out.payload, "alerts");
  if (!alerts) return bad_request("missing_field", "alerts: expected an array");
  for (std::size_t i = 0; i < alerts->size(); ++i) {
    if (!(*alerts)[i].is_object())
      return bad_request("wrong_type", "alerts[" + std::to_string(i) + "]: expected an object");
    out.alerts.push_back(&(*alerts)[i].as_object());
  }
  out.status = text_of(out.payload, "status");
  if (out.status.empty())
    return bad_request("missing_field", "status: expected firing or resolved");
  return std::nullopt;
}

std::string group_name(const alert_group& g) {
  for (const char* part : {"commonAnnotations", "groupLabels", "commonLabels"})
    if (const json::object* o = object_of(g.payload, part))
      for (const char* key : {"summary", "alertname"})
        if (auto v = text_of(*o, key); !v.empty()) return v;
  return g.alerts.empty() ? text_of(g.payload, "receiver")
                          : label(*g.alerts[0], "labels", "alertname");
}

std::string alert_line(const json::object& alert) {
  std::string name = label(alert, "annotations", "summary");
  if (name.empty()) name = label(alert, "labels", "alertname");
  std::string line = "- **" +
                     std::string(text_of(alert, "status") == "resolved" ? "Resolved" : "Firing") +
                     "**: " + name;
  if (auto d = label(alert, "annotations", "description"); !d.empty()) line += " — " + d;
  if (auto instance = label(alert, "labels", "instance"); !instance.empty())
    line += " (`" + instance + "`)";
  if (auto url = text_of(alert, "generatorURL"); !url.empty()) line += " [source](" + url + ")";
  return line + "\n";
}

std::vector<message> alert_messages(const alert_group& g, const message& base, bool per_alert) {
  std::string upper = g.status;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string group_key = text_of(g.payload, "groupKey");
  auto start = [&](const std::string& status, const std::string& severity) {
    message m = base;
    m.format = body_format::markdown;
    m.priority = priority_of(status, severity);
    m.tags.push_back(status);
    if (!severity.empty()) m.tags.push_back(severity);
    m.attributes["alert.status"] = status;
    if (auto r = text_of(g.payload, "receiver"); !r.empty()) m.attributes["alert.receiver"] = r;
    if (auto u = text_of(g.payload, "externalURL"); !u.empty())
      m.attributes["alert.external_url"] = u;
    return m;
  };
  std::vector<message> out;
  if (per_alert) {
    for (const json::object* alert : g.alerts) {
      const std::string status =
          text_of(*alert, "status").empty() ? g.status : text_of(*alert, "status");
      message m = start(status, label(*alert, "labels", "severity"));
      std::string name = label(*alert, "annotations", "summary");
      if (name.empty()) name = label(*alert, "labels", "alertname");
      std::string s = status;
      for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      m.title = "[" + s + "] " + name;
      m.body = alert_line(*alert);
      keep_as_attributes(object_of(*alert, "labels"), "label.", m);
      keep_as_attributes(object_of(*alert, "annotations"), "annotation.", m);
      m.idempotency_key =
          "alert:" + sha256_hex(group_key + "\n" + status + "\n" + identity(*alert));
      out.push_back(std::move(m));
    }
    return out;
  }
  const json::object* common = object_of(g.payload, "commonLabels");
  message m = start(g.status, common ? text_of(*common, "severity") : "");
  const std::string count = g.status == "firing" ? ":" + std::to_string(g.alerts.size()) : "";
  m.title = "[" + upper + count + "] " + group_name(g);
  std::vector<std::string> ids;
  for (const json::object* alert : g.alerts) {
    m.body += alert_line(*alert);
    ids.push_back(identity(*alert));
  }
  if (g.alerts.empty()) m.body = "(no alerts)";
  std::sort(ids.begin(), ids.end());
  std::string key = group_key + "\n" + g.status;
  for (const auto& id : ids) key += "\n" + id;
  m.idempotency_key = "alert:" + sha256_hex(key);
  keep_as_attributes(common, "label.", m);
  keep_as_attributes(object_of(g.payload, "commonAnnotations"), "annotation.", m);
  out.push_back(std::move(m));
  return out;
}

bool signature_matches(std::string_view secret, std::string_view signed_text,
                       std::string_view given_hex) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &size);
  std::string given(given_hex);
  std::transform(given.begin(), given.end(), given.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return same_secret(given, hex(mac, size));
}

}  // namespace notibus::serve::ingest
