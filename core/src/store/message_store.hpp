// Where accepted messages live until their deliveries end: in memory, in the
// spool (a directory this process owns) or in the shared JetStream queue. The
// bus holds one store and never asks which it is; the three differ only in
// what this interface lets them answer.
//
// The life of a message through it:
//   keep      the bus accepted it: stored (on disk, acknowledged by JetStream)
//             before `kept` runs; memory keeps nothing and is never asked.
//   adopt     messages the bus did not just accept, handed to it to deliver:
//             the spool's unfinished ones at start-up, the queue's fetched ones.
//             One path for both (resumed and redelivered are the same thing).
//   record    a delivery's final outcome, and the message's end; a store that
//             cannot route an adopted message takes it back as a dead letter.
//   dead letters are listed, read for a retry and cleared through the store.
//
// What is planned fits here without another fork of the bus:
// - A message held until a time: `keep` gets the time with the message; the
//   spool writes it in the message record and adopts it when due (a timer
//   per store, not per message), JetStream publishes it with a delivery delay,
//   memory keeps a timer. The bus starts delivery on adoption, as for a resume.
// - Attachments (built): kept with the message by `keep` (files beside the
//   spool's segments; inside the JetStream message, within the server's
//   max_payload, which `keeps` checks before acceptance; the shared buffer
//   in memory). An object store for larger files would be a
//   `keep_blob(message id, n, source) -> blob_ref` step before `keep`,
//   read by deliveries through the ref, removed by `record` at the end.
// - A record kept under a key (to update a notification already sent):
//   `remember(key, value)` / `recall(key)`, kept as the idempotency keys are
//   (spool records carried forward, a KV bucket, a map in memory).
#pragma once

#include <notibus/bus.hpp>
#include <notibus/config.hpp>
#include <notibus/delivery.hpp>
#include <notibus/log.hpp>
#include <notibus/stats.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../spool/records.hpp"
#include "../spool/state.hpp"

namespace notibus {

// A message the store hands to the bus to deliver.
struct adopted_message {
  message msg;
  // Outcomes recorded before (a resume, a redelivery): final ones are not sent again.
  std::map<std::string, spool::outcome_record> outcomes;
  // Accepted long ago: a full channel queue must not refuse it.
  bool accepted_earlier = false;
};

// What changed in a message's deliveries (see tracker::persist_locked).
struct outcome_change {
  std::string_view message_id;
  bool has_final = false;   // a delivery became final (source.changed() is it)
  bool dead = false;        // ...failed, with nothing else in its group to deliver
  bool complete = false;    // every delivery is final
  bool unfinished = false;  // one was left for a later start (the grace period ran out)
};

// What a store may read of the message's state; built only when asked.
class outcome_source {
 public:
  virtual channel_delivery changed() const = 0;
  virtual delivery_report report() const = 0;
  virtual std::vector<spool::outcome_record> dead() const = 0;
  virtual message unpack() const = 0;  // before the content is released

 protected:
  ~outcome_source() = default;
};

class message_store {
 public:
  virtual ~message_store() = default;

  // Whether an accepted message outlives this process; only then are
  // outcomes recorded, and acceptance waits for `keep`.
  virtual bool durable() const noexcept = 0;
  // Whether it can keep a message with files this large (the JetStream
  // queue keeps a message and its files in one JetStream message).
  virtual bool keeps(const message& m) const { return true; }
  // False when what this bus accepts is delivered by whichever instance
  // fetches it (it comes back through adoption, maybe here).
  virtual bool delivers_what_it_accepts() const noexcept { return true; }

  // The first accepted message's id for this idempotency key, when the store
  // remembers keys past the status store.
  virtual std::optional<std::string> first_with_key(const std::string& key) const;

  // `kept` runs once the message is stored (maybe on another thread), with an
  // error, or with the first message's id for a key seen before.
  using kept_fn = std::function<void(error_code, std::optional<std::string> first_id)>;
  virtual void keep(const message& m, const delivery_report& pending, kept_fn kept) = 0;

  // Messages to deliver go to `adopt` until stop_adopting(owner). It moves
  // from the message and returns true, or false to leave it (it stays stored,
  // for another instance or the next start).
  using adopt_fn = std::function<bool(adopted_message&)>;
  virtual void start_adopting(const void* owner, adopt_fn adopt);
  virtual void stop_adopting(const void* owner);
  // This configuration cannot route an adopted message: it ends as a dead
  // letter with `why` as its one failed delivery.
  virtual void refuse_adopted(const channel_delivery& why, message m) = 0;

  virtual void record(const outcome_change& change, const outcome_source& source) = 0;
  // A transient failure after which the receiver asked to wait until `at_ms`
  // (Unix ms): a store that restarts deliveries keeps it so a restart waits.
  virtual void record_retry_at(std::string_view message_id, const channel_delivery& d,
                               std::int64_t at_ms);
  // Whether a delivery told to wait can go back to the store, to be adopted
  // again after the delay (by any instance), instead of waiting here.
  virtual bool redelivers_later() const noexcept { return false; }
  virtual void redeliver_later(const delivery_report& so_far, std::chrono::milliseconds delay);

  // A message this process does not track (another instance's, or one from
  // before a restart).
  virtual std::optional<delivery_report> status(const std::string& message_id) const;

  virtual dead_letter_page dead_letters(const dead_letter_query& q) const;
  virtual std::optional<spool::spooled_message> dead_letter(const std::string& message_id) const;
  // Returns false if there is no such dead letter; throws if it cannot be cleared.
  virtual bool clear_dead_letter(const std::string& message_id);

  virtual std::optional<notibus::spool_stats> spool_stats() const { return std::nullopt; }
  virtual std::optional<notibus::queue_stats> queue_stats() const { return std::nullopt; }

  // A reload: whether this store serves `cfg` as it is (then the new bus
  // shares it; the spool's directory and lock, the queue's connection).
  virtual bool serves(const config& cfg) const = 0;
  // A bus starts using it, or is gone (a reload's new bus attaches to the
  // old one's store before the old bus detaches).
  virtual void attach() {}
  virtual void detach() {}
};

// The store `cfg` asks for: `previous` if it serves cfg, else a new one.
// Throws notibus::error (an unusable spool directory, an unreachable queue).
std::shared_ptr<message_store> open_message_store(const config& cfg,
                                                  std::shared_ptr<message_store> previous,
                                                  log_sink log);

}  // namespace notibus
