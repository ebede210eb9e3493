// The notification bus: routes each published message to channel instances and
// delivers it with queues, rate limits and retries (docs/library.md).
#pragma once

#include <notibus/config.hpp>
#include <notibus/delivery.hpp>
#include <notibus/error.hpp>
#include <notibus/log.hpp>
#include <notibus/message.hpp>
#include <notibus/stats.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus {

class bus;
class plugin_registry;

struct bus_options {
  unsigned threads = 1;  // used only when the bus owns its io_context
  std::function<void(const dead_letter&)> on_dead_letter;
  log_sink log;                               // empty: stderr
  log_level min_log_level = log_level::info;  // events below it are not even formatted
  // With `queue:` in the config: whether this bus takes deliveries from the
  // shared queue. false: it only publishes into it (an application that
  // leaves delivering to the `notibus serve` instances, or a one-shot command).
  bool deliver_from_queue = true;
};

// Where a message as a whole stands.
enum class message_state {
  pending,    // some delivery is not final
  delivered,  // every route group was served
  failed,     // finished, not every group served
};

// Which recent messages bus::recent() lists (those the status store keeps).
struct message_query {
  std::size_t limit = 50;
  // The last id of the previous page: the list goes newest first, so the
  // next page starts with the one before it.
  std::string after;
  // pending (some delivery not final), delivered (all served), failed
  // (finished, not all served); nullopt: any.
  std::optional<message_state> state;
};

// One page of bus::recent(). A filtered page may hold fewer than `limit`
// messages (each call looks at a bounded number, so that a filter matching
// little does not walk every kept status while publishes wait): go on from
// `next_after` until it is empty.
struct message_page {
  std::vector<delivery_report> messages;
  std::string next_after;  // empty: nothing older
};

struct publish_result {
  std::string id;    // the message's id, or the first one's for a repeated key
  error_code error;  // errc::queue_full, no_route, unknown_channel, ...
  bool duplicate = false;
};

class bus {
 public:
  using executor_type = boost::asio::any_io_executor;

  // Runs on an io_context of its own with options.threads threads.
  bus(const config& cfg, plugin_registry& registry, bus_options options = {});
  // Runs on the application's executor; the application keeps it running and
  // calls async_stop before destroying the bus, and destroys the bus before the
  // io_context behind the executor.
  bus(executor_type executor, const config& cfg, plugin_registry& registry,
      bus_options options = {});
  ~bus();
  bus(const bus&) = delete;
  bus& operator=(const bus&) = delete;

  executor_type get_executor() const noexcept;

  // Fire and forget; returns the message id (or the first id for a repeated
  // idempotency key). Delivery failures show in status() and the dead-letter
  // callback; a message refused at once (no route, unknown channel, invalid,
  // stopped, spool full) throws boost::system::system_error with its errc.
  // With a spool, returns once the message is on disk (fsync: always).
  std::string publish(message m);

  // For servers: like publish, but a message that a channel's full queue
  // (overflow: reject) would refuse at once is not accepted at all
  // (errc::queue_full), nor one the spool cannot store (errc::spool_full,
  // spool_failed), so the caller can answer "try later" instead. Blocks until
  // the message is on disk when there is a spool: servers use the async form.
  publish_result try_publish(message m);

  // try_publish that completes with void(error_code, publish_result) once the
  // message is accepted (on disk, with a spool) or refused (the error, also in
  // publish_result::error).
  template <class CompletionToken>
  auto async_try_publish(message m, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, publish_result)>(
        [this](auto handler, message msg) { try_publish_with(std::move(msg), std::move(handler)); },
        token, std::move(m));
  }

  // Completes with void(error_code, delivery_report) once every channel the
  // message went to has a final state; the error is for the message as a whole
  // (errc), per-channel failures are in the report. Any completion token:
  // use_awaitable and use_future throw the error and give the report,
  // as_tuple gives both.
  template <class CompletionToken>
  auto async_publish(message m, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(error_code, delivery_report)>(
        [this](auto handler, message msg) { publish_with(std::move(msg), std::move(handler)); },
        token, std::move(m));
  }

  // Stops accepting, lets queued and in-flight deliveries finish for up to
  // `grace`, then fails what is left. Completes with void().
  template <class CompletionToken>
  auto async_stop(std::chrono::milliseconds grace, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void()>(
        [this](auto handler, std::chrono::milliseconds g) { stop_with(g, std::move(handler)); },
        token, grace);
  }
  // Blocking form of async_stop; never call it from a thread running the bus.
  void stop(std::chrono::milliseconds grace);

  // The current state of a message, while it is kept (config `status`).
  std::optional<delivery_report> status(std::string_view message_id) const;
  // The first message accepted with this idempotency key, while it is kept.
  std::optional<delivery_report> status_by_key(std::string_view key) const;
  // A file kept for a link a channel sent (its `attachments: link`), if the
  // link's signature holds, it has not expired and the file is still kept.
  link_verdict linked_file(std::string_view message_id, std::size_t n, std::int64_t expires,
                           std::string_view signature, notibus::linked_file& out) const;
  // Recent messages, newest first (this instance's, with a shared queue).
  message_page recent(const message_query& query) const;
  // The configuration this bus runs, secrets redacted (for a console).
  const config_summary& configuration() const noexcept;
  std::vector<channel_stats> stats() const;
  std::optional<notibus::spool_stats> spool_stats() const;
  std::optional<notibus::queue_stats> queue_stats() const;  // with `queue:` in the config

  // Dead letters kept by the spool or the shared queue (none without either), oldest first.
  dead_letter_page dead_letters(const dead_letter_query& q = {}) const;
  // Publishes a copy of a dead letter (a new id, the same content, to the
  // channels that failed) and, once the copy is accepted, drops the dead
  // letter. nullopt if there is no such dead letter; else the copy's result.
  std::optional<publish_result> retry_dead_letter(const std::string& message_id);
  // Drops a dead letter; false if there is no such dead letter.
  bool purge_dead_letter(const std::string& message_id);

  // Reload: a bus for `cfg`, on this bus's executor, that takes over every
  // channel whose settings did not change (its queue, deliveries in flight,
  // retries, rate limiter and counters) and the spool when its directory is
  // the same. This bus leaves those alone from then on: stop it to let it
  // finish what it still holds. Throws like the constructor, and this bus is
  // untouched then. (A bus that owns its io_context hands over the spool only:
  // the new one owns another io_context, with options.threads threads.)
  std::unique_ptr<bus> reload(const config& cfg, plugin_registry& registry,
                              bus_options options = {});
  // How many channels this bus took over from the one it reloads.
  std::size_t channels_kept() const noexcept;

 private:
  struct impl;
  struct reload_tag {};
  bus(reload_tag, bus& previous, const config& cfg, plugin_registry& registry, bus_options options);

  template <class... Args>
  using handler = boost::asio::any_completion_handler<void(Args...)>;
  void publish_with(message m, handler<error_code, delivery_report> done);
  void try_publish_with(message m, handler<error_code, publish_result> accepted);
  void stop_with(std::chrono::milliseconds grace, handler<> done);
  publish_result publish_and_wait(message m, bool refuse_when_full);

  std::shared_ptr<impl> impl_;
};

}  // namespace notibus
