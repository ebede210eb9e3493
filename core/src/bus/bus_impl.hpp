// The bus's state behind its pimpl, shared by bus.cpp (construction, stop,
// queries) and publish.cpp (the way of one message in).
#pragma once

#include <notibus/bus.hpp>
#include <notibus/plugin_registry.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "../store/message_store.hpp"
#include "channel_runner.hpp"
#include "router.hpp"
#include "status_store.hpp"
#include "tracker.hpp"

namespace notibus {

struct bus::impl {
  impl(std::unique_ptr<boost::asio::io_context> own, executor_type ex, const config& cfg,
       plugin_registry& registry, bus_options& options, bus* previous = nullptr);

  static std::shared_ptr<impl> with_own_context(const config& cfg, plugin_registry& registry,
                                                bus_options& options, bus* previous);

  // Messages the store hands over: resumed from the spool at start-up, or
  // fetched from the shared queue. With `deliver_from_queue` off, a shared
  // store's messages are left to the instances that deliver.
  static void start_adopting(const std::shared_ptr<impl>& self);
  // Routed by the current configuration; channels with a final outcome are
  // not sent again.
  void adopt(adopted_message a);

  // `accepted` runs once the message is accepted or refused: at once, or (with
  // a durable store) from the store's thread once the message is stored.
  static void publish(const std::shared_ptr<impl>& self, message m, report_completion done,
                      bool refuse_when_full, accepted_completion accepted);
  // Why `m` cannot be taken now (stopping, invalid, no route, a full queue
  // when asked), or nothing, with its delivery plan filled in.
  std::optional<errc> refusal(const message& m, delivery_plan& plan, bool refuse_when_full) const;
  // The report of the first message the store remembers with m's idempotency key.
  std::optional<delivery_report> stored_first(const message& m) const;
  static void start_once_stored(const std::shared_ptr<impl>& self, const message& m,
                                std::shared_ptr<tracker> t, publish_result result,
                                accepted_completion accepted);
  // Stored, and delivered by whichever instance adopts it from the store.
  void hand_to_store(const message& m, const delivery_plan& plan, report_completion done,
                     publish_result result, accepted_completion accepted) const;

  static void stop_after(const std::shared_ptr<impl>& self, std::chrono::milliseconds grace,
                         detail::completion<> done);
  bool all_idle() const;
  void close_all();

  // The runners this bus still answers for (not handed to a newer bus).
  template <class F>
  void for_each_own(F f) const {
    for (std::size_t i = 0; i < runners.size(); ++i)
      if (!handed_over[i]) f(*runners[i]);
  }

  // First member, so destroyed last: the runners' timers belong to it.
  std::unique_ptr<boost::asio::io_context> own_context;  // only when the bus owns its io_context
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  executor_type executor;
  std::shared_ptr<bus_context> ctx;
  std::vector<std::shared_ptr<channel_runner>> runners;
  std::unique_ptr<router> routes;
  std::unique_ptr<std::atomic<bool>[]> handed_over;  // per runner
  std::size_t taken_over = 0;
  status_store status;
  config_summary summary;  // secrets redacted, for a console
  notibus::attachment_settings limits_of_attachments;
  std::atomic<bool> stopping{false};
  std::atomic<bool> stopped{false};

 private:
  // Opens a runner per enabled channel (or takes over the previous bus's);
  // throws naming every channel that cannot start.
  void open_channels(const config& cfg, plugin_registry& registry, bus* previous);
  std::shared_ptr<channel_runner> take_over(bus* previous, const channel_settings& ch);
  channel_delivery unroutable(const std::string& id, error_code ec) const;
  log_sink filtered_log() const;
  void log(log_level level, const std::string& text) const {
    if (ctx->logs(level)) ctx->log(level, text);
  }
};

}  // namespace notibus
