// The life of one published message: which channels it goes to (the plan), the
// state of each delivery, fallback order, and the completion handler. Runners on
// different strands report into it, so it locks.
//
// A tracker lives as long as its message is queued (and then in the status
// store), so it is kept small: the message packed (its content freed once
// finished), the first slot and group inline, no mutex of its own, error
// strings only once needed.
#pragma once

#include <notibus/plugin/abi.h>
#include <notibus/bus.hpp>
#include <notibus/delivery.hpp>
#include <notibus/message.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bus_context.hpp"
#include "completion.hpp"
#include "first_inline_array.hpp"
#include "packed_message.hpp"
#include "router.hpp"

namespace notibus {

class channel_runner;
namespace spool {
struct outcome_record;
}
struct outcome_change;

// What the bus calls once a message is final, or once it is accepted.
using report_completion = detail::completion<error_code, delivery_report>;
using accepted_completion = detail::completion<error_code, publish_result>;

class tracker {
 public:
  // `m` must have its id and created_at set.
  tracker(const message& m, report_completion done, std::shared_ptr<const bus_context> ctx);

  // Lays out one slot per planned channel; `runners` is indexed like the plan.
  void set_plan(const delivery_plan& plan,
                const std::vector<std::shared_ptr<channel_runner>>& runners);
  // Outcomes the store recorded before (a resumed or redelivered message):
  // final ones are not sent again, pending ones keep their attempts and the
  // receiver's retry time; call before start().
  void restore(const std::map<std::string, spool::outcome_record>& outcomes);
  // The message is in a durable store (just kept there, or adopted from it):
  // its outcomes are recorded there from now on.
  void set_durable() noexcept { durable_ = true; }
  bool durable() const noexcept { return durable_; }
  // Hands the first pending channel of each group (every pending channel for
  // `all`) to its runner; completes at once if nothing is pending. Static, as
  // is finish(): a queue entry needs the owning pointer, and a tracker does
  // not derive from enable_shared_from_this (16 bytes per queued message).
  static void start(const std::shared_ptr<tracker>& t);

  // Completes without sending (a repeated idempotency key) with `r`.
  void abandon(delivery_report r);
  // The store could not keep the message: nothing is sent, every channel fails.
  void refuse(error_code ec);

  // Whether a transient failure of `slot` with the service's retry-after may
  // hand the message back to a store that redelivers later (to any
  // instance): its other deliveries are final and the bus is not stopping.
  bool can_hand_back(std::size_t slot) const;
  // Hands it back: the report (with the attempts so far) is stored and the
  // store redelivers the message after `delay`. This tracker is done with.
  static void hand_back(const std::shared_ptr<tracker>& t, std::chrono::milliseconds delay);
  bool handed_back() const noexcept { return handed_back_.load(std::memory_order_relaxed); }

  void attempt_started(std::size_t slot);
  // A transient failure; `retry_at_ms` (Unix ms, 0: none) is a delay the
  // receiver asked for, which a durable store keeps so that a restart honours it.
  void attempt_failed(std::size_t slot, const std::string& error, std::int64_t retry_at_ms);
  // A final outcome for a slot: records it, starts the next fallback if any, and
  // completes the message when every group is done.
  static void finish(const std::shared_ptr<tracker>& t, std::size_t slot, delivery_state state,
                     const std::string& error, const std::string& detail = {},
                     const std::vector<attachment_fate>& attachments = {});

  const packed_message& msg() const noexcept { return msg_; }
  // Accepted earlier and adopted from the store (set before start(), then fixed).
  bool resumed() const noexcept { return resumed_; }
  // The message as the plugin ABI sees it; valid while the tracker lives. Its
  // content goes once every delivery is final (no attempt starts after that).
  notibus_message_v1 abi_message(std::uint32_t attempt) const noexcept { return msg_.abi(attempt); }
  delivery_report report() const;
  // report()'s verdict without building it.
  message_state overall() const;

 private:
  // Set once an attempt fails or a channel adds a note; most deliveries never do.
  struct slot_notes {
    std::string last_error;
    std::string detail;
    std::int64_t retry_at_ms = 0;  // restored from the store: not to be sent before (Unix ms)
    std::vector<attachment_fate> attachments;
  };
  struct slot {
    std::shared_ptr<channel_runner> runner;  // its name is the channel's
    std::uint32_t group = 0;
    std::uint32_t attempts = 0;
    delivery_state state = delivery_state::pending;
    bool dead = false;  // failed, and nothing else in its group can deliver
    std::unique_ptr<slot_notes> notes;

    channel_delivery delivery() const;
    slot_notes& noted();
  };
  // Slot indexes for a range-for (std::views::iota would do, but clang 14,
  // which the fuzz build uses, cannot compile libstdc++ 12's ranges).
  struct slot_range {
    struct iterator {
      std::size_t at;
      std::size_t operator*() const noexcept { return at; }
      iterator& operator++() noexcept { return ++at, *this; }
      bool operator!=(const iterator& other) const noexcept { return at != other.at; }
    };
    std::size_t first, last;
    iterator begin() const noexcept { return {first}; }
    iterator end() const noexcept { return {last}; }
  };
  struct group {
    route_strategy strategy = route_strategy::all;
    // set_plan lays a group's slots out next to each other: [first, first + count).
    std::uint32_t first = 0, count = 0;
    slot_range slots() const { return {first, first + count}; }
    std::uint32_t open = 0;  // slots of this group still pending
    bool done = false;
  };

  static void enqueue(const std::shared_ptr<tracker>& t, std::size_t slot);
  delivery_report report_locked() const;
  // Notes a slot's final state (if any) and the message's completion in the
  // store; under mutex_, so every outcome is recorded before `done`.
  void persist_locked(const slot* s, bool complete);
  class locked_source;

  // A mutex from a shared table, picked by address: one per tracker would be
  // 40 bytes each. Sharing cannot deadlock, as no thread ever holds two
  // trackers' locks (nor takes one while holding the store's).
  std::mutex& mutex() const noexcept;

  packed_message msg_;
  // The files as reports list them, kept past the content (null without files).
  std::shared_ptr<const std::vector<attachment_summary>> files_;
  report_completion done_;
  std::shared_ptr<const bus_context> ctx_;
  first_inline_array<slot> slots_;
  first_inline_array<group> groups_;
  std::uint32_t open_groups_ = 0;
  bool durable_ = false;  // set once the message is in a durable store
  bool resumed_ = false;
  bool left_unfinished_ = false;          // a failure at shutdown was not recorded: resume it later
  std::atomic<bool> handed_back_{false};  // back in the shared queue: status is read there
};

}  // namespace notibus
