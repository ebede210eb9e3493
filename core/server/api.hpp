// The routes of `notibus serve` (DESIGN.md section 6): messages, channels,
// health, readiness and metrics, behind an optional bearer token.
#pragma once

#include <notibus/bus.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auth.hpp"
#include "http_server.hpp"
#include "ingest/gateway.hpp"
#include "message_request.hpp"
#include "metrics.hpp"

namespace notibus::serve {

// The running bus, swapped on reload. The one before stays reachable for status
// lookups of its messages until the next reload.
class bus_holder {
 public:
  void install(std::shared_ptr<bus> next);
  std::shared_ptr<bus> current() const;
  std::shared_ptr<bus> previous() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<bus> current_, previous_;
};

struct api_settings {
  std::string auth_token;  // empty: no auth
  bool health_without_auth = false;
  bool metrics_without_auth = false;
  ingest_settings ingest;
  std::size_t max_body = 64 * 1024;
  attachment_settings attachments;
};

class api {
 public:
  // `executor` runs the HTTP side: an accepted message is answered there, so
  // nothing of the api is touched from the spool's thread after it is gone.
  // `log` gets refused authentications (rate-limited).
  api(bus_holder& buses, api_settings settings, boost::asio::any_io_executor executor,
      log_sink log = {})
      : buses_(buses),
        settings_(std::move(settings)),
        executor_(std::move(executor)),
        max_body_(settings_.max_body),
        refusals_(std::move(log)) {
    ingestion_.configure(settings_.ingest, settings_.auth_token, settings_.max_body,
                         settings_.attachments);
  }

  void handle(http_request req, http_server::respond_fn respond);
  // For a head that expects "100 Continue": a refusal that needs no body
  // (401, 415), or nullopt to let the client send it.
  std::optional<http_response> check_head(const http_request& req);
  // On a dialect's own listener (its `listen`): only dialects there answer.
  void handle_dialect(const std::string& listen, const http_request& req,
                      http_server::respond_fn respond);
  std::optional<http_response> check_dialect_head(const std::string& listen,
                                                  const http_request& req);
  void set_settings(api_settings s);
  void set_ready(bool ready) { ready_ = ready; }
  void count_reload(bool ok) { ok ? ++reloads_ : ++reload_failures_; }
  // `text` with every secret an ingestion dialect takes in its path cut out.
  std::string redact_secrets(std::string text) const { return ingestion_.redact(std::move(text)); }

 private:
  // The 401 for a request that needs the token and lacks it, else nullopt.
  std::optional<http_response> refuse_unauthorized(const http_request& req,
                                                   const std::string& path);
  void post_message(http_request req, http_server::respond_fn respond);
  // The message of a POST /v1/messages (JSON or multipart), its attachments
  // within the limits.
  std::optional<request_error> read_message(http_request req, message& m) const;
  // Its attachments within the limits, then to the bus.
  void publish_checked(message m, http_server::respond_fn respond);
  void reject(http_response r, const http_server::respond_fn& respond);
  // The answer, or nullopt for an authorized POST /v1/messages (answered later).
  std::optional<http_response> route(const http_request& req);
  // Whether `path` is one of the API's own (the console's, an endpoint's).
  static bool own_path(const std::string& path, const std::string& method);
  struct endpoint;
  static const endpoint endpoints[];
  std::optional<http_response> console(const http_request& req, const std::string& path);
  // The endpoints' answers (`rest`: what follows a path ending in "/").
  std::optional<http_response> messages(const http_request& req, const std::string& rest);
  std::optional<http_response> message_status(const http_request& req, const std::string& id);
  std::optional<http_response> dead_letter_list(const http_request& req, const std::string& rest);
  std::optional<http_response> dead_letter_action(const http_request& req, const std::string& rest);
  std::optional<http_response> channels(const http_request& req, const std::string& rest);
  std::optional<http_response> linked_file(const http_request& req, const std::string& rest);
  std::optional<http_response> configuration(const http_request& req, const std::string& rest);
  std::optional<http_response> health(const http_request& req, const std::string& rest);
  std::optional<http_response> readiness(const http_request& req, const std::string& rest);
  std::optional<http_response> metrics(const http_request& req, const std::string& rest);
  http_response accepted_response(const publish_result& r);
  http_response get_message(const std::string& id);
  http_response get_channels();
  http_response dead_letter(const http_request& req, const std::string& rest);
  http_response get_metrics();

  bus_holder& buses_;
  mutable std::mutex settings_mutex_;
  api_settings settings_;
  boost::asio::any_io_executor executor_;
  std::atomic<bool> ready_{false};
  // settings_.max_body, read without the lock on every POST (a body within
  // it needs no other check).
  std::atomic<std::size_t> max_body_;
  server_counters counters_;  // updated under counters_mutex_
  std::mutex counters_mutex_;
  std::atomic<std::uint64_t> reloads_{0}, reload_failures_{0};
  refusal_log refusals_;
  ingest::gateway ingestion_{refusals_};
};

}  // namespace notibus::serve
