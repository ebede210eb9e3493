// A foreign client's way of posting a notification, mapped onto notibus
// messages. The router (ingest.hpp) finds the dialect a request is for,
// checks its secret, size and rate, and publishes what map() gives exactly
// as POST /v1/messages does; the dialect only reads its own request shapes
// and writes its own answers, so its clients work unchanged.
#pragma once

#include <notibus/bus.hpp>
#include <notibus/ingest_settings.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../auth.hpp"
#include "../http_server.hpp"
#include "request_parts.hpp"

namespace notibus::serve::ingest {

// Why a request is not taken, in words any dialect can shape into its answer.
struct refusal {
  refusal() = default;
  refusal(unsigned s, std::string c, std::string d, std::string retry = {})
      : status(s), code(std::move(c)), detail(std::move(d)), retry_after(std::move(retry)) {}
  unsigned status = 400;
  std::string code;    // "malformed_json", "missing_field", "unauthorized", ...
  std::string detail;  // for the client; never echoes a secret
  std::string retry_after;
};

struct mapped {
  std::vector<message> messages;        // published in order
  std::optional<refusal> refused;       // the request is refused: nothing is published
  std::optional<http_response> answer;  // answered at once as it is, nothing published

  static mapped publish(std::vector<message> m) { return {std::move(m), {}, {}}; }
  static mapped publish(message m) { return publish(std::vector<message>{std::move(m)}); }
  static mapped refuse(refusal why) { return {{}, std::move(why), {}}; }
  static mapped reply(http_response r) { return {{}, {}, std::move(r)}; }
};

class dialect {
 public:
  explicit dialect(ingest_dialect_settings settings) : settings_(std::move(settings)) {}
  virtual ~dialect() = default;
  const ingest_dialect_settings& settings() const { return settings_; }
  const std::string& name() const { return settings_.dialect; }

  // Whether a request for `path` is this dialect's.
  virtual bool serves(std::string_view path) const;
  // Where its clients put the secret (Slack and Discord: the path's last segment).
  virtual auth_result authorized(const http_request& req, std::string_view path,
                                 std::string_view secret) const;
  // Whether its clients send the secret as the path's last segment.
  virtual bool secret_in_path() const { return false; }
  virtual mapped map(const http_request& req, std::string_view path) const = 0;
  // The success answer once every message is accepted (`ids[i]` is messages[i]'s).
  virtual http_response accepted(std::string_view target, const std::vector<message>& messages,
                                 const std::vector<std::string>& ids) const = 0;
  virtual http_response refused(const refusal& why) const = 0;
  // Whether accepted() reads the messages (to echo them): if not, they are
  // handed to the bus rather than copied.
  virtual bool echoes_messages() const { return false; }
  // Whether its requests may carry files: their body may then be larger than
  // max_body by the attachments' per-message limit.
  virtual bool takes_files() const { return false; }

 protected:
  // A message with the settings' topic, tags and channels and the dialect
  // recorded (attribute notibus.source, which routes match as `source`).
  message base_message() const;
  // The path's last segment against `secret` (constant time).
  static auth_result path_secret(std::string_view path, std::string_view secret);

 private:
  ingest_dialect_settings settings_;
};

// allowed, missing (nothing offered) or wrong_token.
auth_result check_secret(const std::optional<std::string>& given, std::string_view secret);

// Every dialect of `settings` that is enabled, in matching order.
std::vector<std::unique_ptr<dialect>> make_dialects(const ingest_settings& settings);

// Constructors of each dialect (one file each).
std::unique_ptr<dialect> make_apprise(ingest_dialect_settings s);
std::unique_ptr<dialect> make_ntfy(ingest_dialect_settings s);
std::unique_ptr<dialect> make_gotify(ingest_dialect_settings s);
std::unique_ptr<dialect> make_alertmanager(ingest_dialect_settings s);
std::unique_ptr<dialect> make_grafana(ingest_dialect_settings s);
std::unique_ptr<dialect> make_slack(ingest_dialect_settings s);
std::unique_ptr<dialect> make_discord(ingest_dialect_settings s);

}  // namespace notibus::serve::ingest
