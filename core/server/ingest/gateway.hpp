// The ingestion side of `notibus serve`: finds the dialect a request is for,
// checks its secret (constant time, refusals logged like the native API's),
// body size and rate, maps it, and publishes the messages in order exactly as
// POST /v1/messages does, answering in the dialect's own shapes.
#pragma once

#include <notibus/bus.hpp>
#include <notibus/ingest_settings.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "../auth.hpp"
#include "../http_server.hpp"
#include "dialect.hpp"

namespace notibus::serve::ingest {

struct dialect_counters {
  std::uint64_t requests = 0;
  std::uint64_t accepted = 0;      // messages published
  std::uint64_t rejected = 0;      // malformed or invalid requests (4xx)
  std::uint64_t unauthorized = 0;  // wrong or missing secret
  std::uint64_t limited = 0;       // over the rate or the size limit
  std::uint64_t refused = 0;       // the spool or queue could not take them now
};

class gateway {
 public:
  explicit gateway(refusal_log& refusals) : refusals_(refusals) {}

  // From a (re)loaded config: the dialects, their secrets and limits, and
  // the attachments' (files the dialects carry are held to them).
  void configure(const ingest_settings& settings, const std::string& server_token,
                 std::size_t server_max_body, const attachment_settings& attachments);
  // `listener`: the `listen` of a dialect's own listener, empty for the main one.
  bool serves(const std::string& path, std::string_view listener = {}) const;
  // Whether a dialect on `listener` serves `path`; if so it answers through
  // `respond` (moved from only then).
  bool handle(const http_request& req, const std::string& path, std::shared_ptr<bus> target,
              boost::asio::any_io_executor executor, http_server::respond_fn& respond,
              std::string_view listener = {});
  // For a head expecting "100 Continue" on a dialect's path: its refusal for
  // a wrong secret or a body over its limit, else nullopt.
  std::optional<http_response> check_head(const http_request& req, const std::string& path,
                                          std::string_view listener = {});
  // `text` with the secrets of the dialects that take them in the path
  // (Slack, Discord) replaced by "<redacted>".
  std::string redact(std::string text) const;
  // The counters in the Prometheus text format.
  std::string metrics_text() const;

 private:
  struct endpoint;
  struct state;
  struct publishing;
  // The endpoint on `listener` serving `path`, or nullptr.
  static endpoint* find(state& s, const std::string& path, std::string_view listener);
  std::optional<refusal> gate(endpoint& e, const http_request& req, const std::string& path,
                              bool head_only);
  static std::optional<refusal> over_text_limit(const endpoint& e, const http_request& req,
                                                const std::vector<message>& messages);
  void count(const std::string& dialect, std::uint64_t dialect_counters::*which,
             std::uint64_t n = 1);
  std::shared_ptr<state> current() const;

  refusal_log& refusals_;
  mutable std::mutex mutex_;
  std::shared_ptr<state> state_;
  std::map<std::string, dialect_counters, std::less<>> counters_;  // kept across reloads
};

}  // namespace notibus::serve::ingest
