#include "store.hpp"

#include <notibus/error.hpp>

#include <algorithm>
#include <future>
#include <set>

namespace notibus::spool {
namespace {

// More keys than this (a million messages with keys inside one window) and
// the oldest are forgotten early, so memory stays bounded.
constexpr std::size_t max_keys = 1'000'000;

std::uint64_t segment_bytes_for(const spool_settings& s) {
  // With a size cap, segments must be small enough that deleting finished
  // ones frees room in time.
  constexpr std::uint64_t largest = 64ull << 20, smallest = 64ull << 10;
  if (!s.max_bytes) return largest;
  return std::clamp<std::uint64_t>(s.max_bytes / 8, smallest, largest);
}

snapshot_record snapshot_of(const spooled_message& m) {
  snapshot_record s{m.msg, {}, m.done};
  for (const auto& [channel, o] : m.outcomes) s.outcomes.push_back(o);
  return s;
}

}  // namespace

error_code accepted_error(std::error_code ec) {
  if (!ec) return {};
  if (ec == std::errc::no_space_on_device) return make_error_code(errc::spool_full);
  return make_error_code(errc::spool_failed);
}

store::store(const spool_settings& settings, log_sink log)
    : settings_(settings), report_(std::move(log)) {}

store::~store() = default;

void store::attach() {
  std::lock_guard lock(mutex_);
  ++users_;
}

void store::detach() {
  {
    std::lock_guard lock(mutex_);
    if (--users_ > 0) return;
  }
  segments_->close();
}

std::shared_ptr<store> store::open(const spool_settings& settings, log_sink log,
                                   spool_state& recovered) {
  std::shared_ptr<store> s(new store(settings, std::move(log)));
  log_options o;
  o.dir = settings.dir;
  o.fsync = settings.fsync;
  o.max_bytes = settings.max_bytes;
  o.segment_bytes = segment_bytes_for(settings);
  o.log = s->report_;
  recovery r;
  s->segments_ = std::make_unique<segment_log>(std::move(o), r);
  s->blobs_ = std::make_unique<blob_dir>(settings.dir, settings.fsync);
  s->load(recovered, r);
  s->maybe_compact();
  return s;
}

void store::load(spool_state& recovered, const recovery& r) {
  recovered = rebuild(r.records, settings_.idempotency_window, std::chrono::system_clock::now());
  load_blobs(recovered);
  if (recovered.unreadable && report_)
    report_(log_level::error, "spool: " + std::to_string(recovered.unreadable) +
                                  " records could not be read (written by a newer notibus?)");
  oldest_ = r.segments.empty() ? segments_->current_segment() : r.segments.front();
  const std::set<std::uint64_t> lost(r.quarantined_numbers.begin(), r.quarantined_numbers.end());
  const std::uint64_t now_in = write_again(recovered, lost);
  std::lock_guard lock(mutex_);
  for (auto& m : recovered.unfinished) {
    if (lost.count(m.segment)) m.segment = now_in;
    ++unfinished_[m.segment];
    open_message& open = open_[m.msg.id];
    open.segment = m.segment;
    open.has_files = !m.msg.attachments.empty();
    for (const auto& [channel, o] : m.outcomes) open.outcomes.push_back(o);
  }
  for (auto& m : recovered.dead) {
    if (lost.count(m.segment)) m.segment = now_in;
    add_dead_letter_locked(m.msg.id, index_of(m));
  }
  recovered.dead.clear();  // the bus needs none of them whole
  bound_dead_letters_locked();
  std::vector<std::pair<std::int64_t, std::string>> order;
  for (auto& [key, k] : recovered.keys) {
    if (lost.count(k.segment)) k.segment = now_in;
    keys_.emplace(key, k);
    order.emplace_back(k.created_at_ms, key);
  }
  std::sort(order.begin(), order.end());
  key_order_.assign(order.begin(), order.end());
}

std::uint64_t store::write_again(const spool_state& recovered,
                                 const std::set<std::uint64_t>& lost) {
  using written = std::pair<std::error_code, std::uint64_t>;
  std::vector<std::future<written>> rewritten;
  auto rewrite = [&](record_type type, std::string payload) {
    auto done = std::make_shared<std::promise<written>>();
    rewritten.push_back(done->get_future());
    segments_->append(
        static_cast<std::uint8_t>(type), std::move(payload),
        [done](std::error_code ec, std::uint64_t segment) {
          done->set_value({ec, segment});
        },
        false);
  };
  for (const auto* list : {&recovered.unfinished, &recovered.dead})
    for (const auto& m : *list)
      if (lost.count(m.segment)) rewrite(record_type::snapshot, encode_snapshot(snapshot_of(m)));
  for (const auto& [key, k] : recovered.keys)
    if (lost.count(k.segment))
      rewrite(record_type::key, encode_key({key, k.message_id, k.created_at_ms}));
  // Where the copies are; if they span two segments, the older one (carrying
  // a record forward twice is harmless, missing one is not).
  std::uint64_t now_in = segments_->current_segment();
  std::error_code failed;
  for (auto& f : rewritten) {
    const auto [ec, segment] = f.get();
    if (ec)
      failed = ec;
    else
      now_in = std::min(now_in, segment);
  }
  if (failed && report_)
    report_(log_level::error, "spool: could not write records from quarantined segments again (" +
                                  failed.message() +
                                  "); this run still delivers them, but on disk they are "
                                  "only in quarantine/");
  else if (!rewritten.empty() && report_)
    report_(log_level::warn, "spool: wrote " + std::to_string(rewritten.size()) +
                                 " records from quarantined segments again");
  return now_in;
}

store::append_note store::appended_note(const message& m) {
  std::optional<key_record> key;
  if (m.idempotency_key) key = key_record{*m.idempotency_key, m.id, to_unix_ms(m.created_at)};
  return {weak_from_this(), m.id, std::move(key), !m.attachments.empty()};
}

void store::append_note::on_disk(std::error_code ec, std::uint64_t segment) {
  auto s = self.lock();
  if (!s || ec) return;
  std::lock_guard lock(s->mutex_);
  ++s->unfinished_[segment];
  open_message& open = s->open_[id];
  open.segment = segment;
  open.has_files = has_files;
  if (key) s->remember_key_locked(key->key, key->message_id, key->created_at_ms, segment);
}

std::int64_t store::key_cutoff_ms() const {
  return to_unix_ms(std::chrono::system_clock::now() - settings_.idempotency_window);
}

void store::remember_key_locked(const std::string& key, const std::string& id, std::int64_t at_ms,
                                std::uint64_t segment) {
  keys_[key] = {id, at_ms, segment};
  key_order_.emplace_back(at_ms, key);
  const std::int64_t expired_before = key_cutoff_ms();
  while (!key_order_.empty() &&
         (key_order_.front().first < expired_before || key_order_.size() > max_keys)) {
    auto it = keys_.find(key_order_.front().second);
    // The key may have been accepted again later; only its own entry goes.
    if (it != keys_.end() && it->second.created_at_ms == key_order_.front().first) keys_.erase(it);
    key_order_.pop_front();
  }
}

std::optional<std::string> store::find_key(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.created_at_ms < key_cutoff_ms()) return std::nullopt;
  return it->second.message_id;
}

void store::record_outcome(outcome_record o) {
  std::lock_guard lock(mutex_);
  // The callback may run inline (a closed log): it must not lock.
  segments_->append(
      static_cast<std::uint8_t>(record_type::outcome), encode_outcome(o),
      [](std::error_code, std::uint64_t) {}, false);
  auto it = open_.find(o.message_id);
  if (it == open_.end()) return;
  auto& outcomes = it->second.outcomes;
  auto same = std::find_if(outcomes.begin(), outcomes.end(), [&](const outcome_record& x) {
    return x.delivery.channel == o.delivery.channel;
  });
  if (same != outcomes.end())
    *same = std::move(o);
  else
    outcomes.push_back(std::move(o));
}

void store::record_done(const std::string& message_id, std::vector<outcome_record> dead,
                        std::optional<message> kept) {
  std::weak_ptr<store> self = weak_from_this();
  std::lock_guard lock(mutex_);
  auto it = open_.find(message_id);
  // A dead letter keeps its files; a message without any has none to remove.
  const bool remove_files = dead.empty() && it != open_.end() && it->second.has_files;
  segments_->append(
      static_cast<std::uint8_t>(record_type::done), encode_id(message_id),
      [self, id = remove_files ? message_id : std::string()](std::error_code ec, std::uint64_t) {
        if (ec) return;  // maybe inline, under mutex_ (a closed log)
        auto s = self.lock();
        if (!s) return;
        if (!id.empty()) s->blobs_->remove(id);  // the done record is on disk: nothing needs them
        s->maybe_compact();
      },
      false);
  if (it == open_.end()) return;
  const std::uint64_t segment = it->second.segment;
  open_.erase(it);
  if (auto count = unfinished_.find(segment); count != unfinished_.end() && --count->second == 0)
    unfinished_.erase(count);
  if (!dead.empty() && kept) {
    spooled_message entry{std::move(*kept), segment, {}, true};
    for (auto& o : dead) entry.outcomes[o.delivery.channel] = std::move(o);
    add_dead_letter_locked(message_id, index_of(entry));
    bound_dead_letters_locked();
  }
}

spool_stats store::stats() const {
  spool_stats s;
  s.bytes = segments_->bytes() + blobs_->bytes();
  s.max_bytes = settings_.max_bytes;
  s.fsyncs = segments_->syncs();
  std::lock_guard lock(mutex_);
  for (const auto& [segment, count] : unfinished_) s.unfinished += count;
  s.dead_letters = dead_.size();
  s.dead_letters_dropped = dead_dropped_;
  return s;
}

void store::maybe_compact() {
  std::uint64_t from = 0;
  {
    std::lock_guard lock(mutex_);
    if (compacting_) return;
    for (;;) {
      const std::uint64_t current = segments_->current_segment();
      if (oldest_ >= current) return;
      // Unfinished messages are carried only once they hold back two more
      // segments (segments roll when full): until then they are likely to
      // finish where they are, and a restart's fresh segment is not traffic.
      const bool pinned = unfinished_.count(oldest_) != 0;
      if (pinned && (current - oldest_ < 3 || oldest_ == uncarriable_)) return;
      bool holds = pinned;
      for (const auto& [id, m] : dead_) holds = holds || m.segment == oldest_;
      for (const auto& [key, k] : keys_) holds = holds || k.segment == oldest_;
      if (holds) break;
      segments_->drop_segments_before(oldest_ + 1);
      ++oldest_;
    }
    compacting_ = true;
    from = oldest_;
  }
  std::vector<std::pair<record_type, std::string>> carry;
  if (!collect_carry(from, carry)) {
    std::lock_guard lock(mutex_);
    // Not read again for every finished message: the segment stays until
    // what is unfinished in it finishes.
    uncarriable_ = from;
    compacting_ = false;
    return;
  }
  {
    std::weak_ptr<store> self = weak_from_this();
    std::lock_guard lock(mutex_);
    carry_pending_ = carry.size();
    carry_error_ = {};
    carried_into_ = UINT64_MAX;
    if (!carry.empty()) {
      for (auto& [type, payload] : carry)
        segments_->append(
            static_cast<std::uint8_t>(type), std::move(payload),
            [self, from](std::error_code ec, std::uint64_t segment) {
              if (ec == std::errc::operation_canceled) return;  // maybe inline, under mutex_
              if (auto s = self.lock()) s->carried(from, segment, ec);
            },
            false);
      return;
    }
    // Everything in it finished meanwhile.
    segments_->drop_segments_before(from + 1);
    oldest_ = from + 1;
    compacting_ = false;
  }
  maybe_compact();
}

bool store::collect_carry(std::uint64_t from,
                          std::vector<std::pair<record_type, std::string>>& out) {
  std::unordered_map<std::string, message> contents;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, m] : open_)
      if (m.segment == from) contents.emplace(id, message{});
    for (const auto& [id, d] : dead_)
      if (d.segment == from) contents.emplace(id, message{});
  }
  // Unlocked: a segment is up to 64 MB, publishes go on meanwhile.
  if (!contents.empty()) contents = read_messages(from, std::move(contents));
  // Built under the lock, and appended under it too (by the caller), so each
  // snapshot holds exactly the outcomes recorded before it.
  std::lock_guard lock(mutex_);
  const auto content_of = [&](const std::string& id) -> const message* {
    auto it = contents.find(id);
    if (it != contents.end() && !it->second.id.empty()) return &it->second;
    if (report_)
      report_(log_level::error, "spool: message " + id + " is not in segment " +
                                    std::to_string(from) + " as expected; the segment stays");
    return nullptr;
  };
  for (const auto& [id, m] : open_) {
    if (m.segment != from) continue;
    const message* content = content_of(id);
    if (!content) return false;
    out.emplace_back(record_type::snapshot,
                     encode_snapshot(snapshot_record{*content, m.outcomes, false}));
  }
  for (const auto& [id, d] : dead_) {
    if (d.segment != from) continue;
    const message* content = content_of(id);
    if (!content) return false;
    out.emplace_back(record_type::snapshot,
                     encode_snapshot(snapshot_record{*content, d.failed, true}));
  }
  for (const auto& [key, k] : keys_)
    if (k.segment == from)
      out.emplace_back(record_type::key, encode_key({key, k.message_id, k.created_at_ms}));
  return true;
}

void store::carried(std::uint64_t from, std::uint64_t into, std::error_code ec) {
  {
    std::lock_guard lock(mutex_);
    if (ec) carry_error_ = ec;
    carried_into_ = std::min(carried_into_, into);
    if (--carry_pending_ > 0) return;
    compacting_ = false;
    if (carry_error_) {
      // Keep the old segment; the next finished message tries again.
      if (report_)
        report_(log_level::error, "spool: could not carry records forward from segment " +
                                      std::to_string(from) + ": " + carry_error_.message());
      return;
    }
    // Every copy is on disk, in a segment newer than `from` (the older one if
    // they span two: carrying a record forward twice is harmless).
    const std::uint64_t to = carried_into_;
    for (auto& [id, m] : dead_)
      if (m.segment == from) m.segment = to;
    for (auto& [key, k] : keys_)
      if (k.segment == from) k.segment = to;
    std::size_t moved = 0;
    for (auto& [id, m] : open_)
      if (m.segment == from) {
        m.segment = to;
        ++unfinished_[to];
        ++moved;
      }
    unfinished_.erase(from);
    if (moved && report_)
      report_(log_level::info, "spool: " + std::to_string(moved) +
                                   " unfinished messages carried forward from segment " +
                                   std::to_string(from) + " to " + std::to_string(to));
    segments_->drop_segments_before(from + 1);
    oldest_ = from + 1;
  }
  maybe_compact();
}

error as_error(const std::system_error& e) {
  std::string what = e.what();
  if (what.rfind("spool: ", 0) == 0) what.erase(0, 7);
  const int value = e.code().value();
  const error_code code = value == EWOULDBLOCK
                              ? make_error_code(errc::spool_in_use)
                              : error_code(value, boost::system::generic_category());
  return error({diagnostic{"", 0, 0, "spool", std::move(what)}}, code);
}

}  // namespace notibus::spool
