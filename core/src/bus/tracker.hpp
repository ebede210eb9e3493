// The life of one published message: which channels it goes to (the plan), the
// state of each delivery, fallback order, and the completion handler. Runners on
// different strands report into it, so it locks.
#pragma once

#include <notibus/plugin/abi.h>
#include <notibus/bus.hpp>
#include <notibus/delivery.hpp>
#include <notibus/message.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bus_context.hpp"
#include "router.hpp"

namespace notibus {

class channel_runner;

class tracker : public std::enable_shared_from_this<tracker> {
 public:
  tracker(message m, bus::report_handler done, std::shared_ptr<const bus_context> ctx);

  // Lays out one slot per planned channel; `runners` is indexed like the plan.
  void set_plan(const delivery_plan& plan,
                const std::vector<std::shared_ptr<channel_runner>>& runners);
  // Hands the first channel of each group (every channel for `all`) to its runner.
  void start();

  // Completes without sending (a repeated idempotency key) with `r`.
  void abandon(delivery_report r);

  void attempt_started(std::size_t slot);
  void attempt_failed(std::size_t slot, const std::string& error);
  // A final outcome for a slot: records it, starts the next fallback if any, and
  // completes the message when every group is done.
  void finish(std::size_t slot, delivery_state state, const std::string& error,
              const std::string& detail = {});

  const message& msg() const noexcept { return msg_; }
  // The message as the plugin ABI sees it; valid while the tracker lives.
  notibus_message_v1 abi_message(std::uint32_t attempt) const noexcept;
  delivery_report report() const;

 private:
  struct slot {
    std::shared_ptr<channel_runner> runner;
    std::size_t group = 0;
    channel_delivery delivery;
  };
  struct group {
    route_strategy strategy;
    std::vector<std::size_t> slots;
    std::size_t open = 0;  // slots of this group still pending
    bool done = false;
  };

  void enqueue(std::size_t slot);
  delivery_report report_locked() const;

  message msg_;
  std::string priority_text_;
  std::vector<const char*> tag_ptrs_;
  std::vector<notibus_attribute_v1> attribute_views_;
  std::int64_t created_at_ms_ = 0;

  bus::report_handler done_;
  std::shared_ptr<const bus_context> ctx_;
  mutable std::mutex mutex_;
  std::vector<slot> slots_;
  std::vector<group> groups_;
  std::size_t open_groups_ = 0;
};

}  // namespace notibus
