#include "state.hpp"

#include <algorithm>

namespace notibus::spool {

std::vector<outcome_record> dead_outcomes(const spooled_message& m) {
  std::vector<outcome_record> out;
  for (const auto& [channel, o] : m.outcomes)
    if (o.dead) out.push_back(o);
  return out;
}

spooled_dead_letter to_dead_letter(const spooled_message& m) {
  spooled_dead_letter out{m.msg, {}};
  for (const auto& o : dead_outcomes(m)) out.failed.push_back(o.delivery);
  return out;
}

dead_index index_of(const spooled_message& m) {
  return {m.msg.topic,
          m.msg.title,
          to_unix_ms(m.msg.created_at),
          m.segment,
          encode_message(m.msg).size(),
          dead_outcomes(m)};
}

spooled_dead_letter to_dead_letter(const std::string& id, const dead_index& d) {
  spooled_dead_letter out;
  out.msg.id = id;
  out.msg.topic = d.topic;
  out.msg.title = d.title;
  out.msg.created_at = from_unix_ms(d.created_at_ms);
  for (const auto& o : d.failed) out.failed.push_back(o.delivery);
  return out;
}

message retry_copy(const spooled_message& m) {
  message copy = m.msg;
  copy.id = make_message_id();
  copy.idempotency_key.reset();
  copy.channels.clear();
  for (const auto& o : dead_outcomes(m))
    if (o.delivery.channel != unroutable_channel) copy.channels.push_back(o.delivery.channel);
  return copy;
}

namespace {

// The records in order, each changing what is known of its message.
struct rebuilder {
  spool_state state;
  std::unordered_map<std::string, spooled_message> by_id;

  void remember_key(const message& m, std::uint64_t segment) {
    if (m.idempotency_key)
      state.keys[*m.idempotency_key] = {m.id, to_unix_ms(m.created_at), segment};
  }

  // False for a record that passed its checksum but does not parse.
  bool apply(const record& r) {
    switch (static_cast<record_type>(r.type)) {
      case record_type::message: {
        auto m = decode_message(r.payload);
        if (!m) return false;
        remember_key(*m, r.segment);
        auto& entry = by_id[m->id];
        entry.msg = std::move(*m);
        entry.segment = r.segment;
        return true;
      }
      case record_type::snapshot: {
        auto s = decode_snapshot(r.payload);
        if (!s) return false;
        remember_key(s->msg, r.segment);
        spooled_message entry{std::move(s->msg), r.segment, {}, s->done};
        for (auto& o : s->outcomes) entry.outcomes[o.delivery.channel] = std::move(o);
        by_id[entry.msg.id] = std::move(entry);
        return true;
      }
      case record_type::outcome: {
        auto o = decode_outcome(r.payload);
        if (!o) return false;
        // An outcome for a message already gone (its segment dropped) is ignored.
        if (auto it = by_id.find(o->message_id); it != by_id.end())
          it->second.outcomes[o->delivery.channel] = std::move(*o);
        return true;
      }
      case record_type::done:
        return apply_done(decode_id(r.payload));
      case record_type::cleared: {
        auto id = decode_id(r.payload);
        if (!id) return false;
        if (auto it = by_id.find(*id); it != by_id.end() && it->second.done) by_id.erase(it);
        return true;
      }
      case record_type::key: {
        auto k = decode_key(r.payload);
        if (!k) return false;
        state.keys[k->key] = {k->message_id, k->created_at_ms, r.segment};
        return true;
      }
    }
    return false;
  }

  // Every delivery is final: the message goes, unless it holds dead letters.
  bool apply_done(const std::optional<std::string>& id) {
    if (!id) return false;
    if (auto it = by_id.find(*id); it != by_id.end()) {
      it->second.done = true;
      if (dead_outcomes(it->second).empty()) by_id.erase(it);
    }
    return true;
  }
};

}  // namespace

spool_state rebuild(const std::vector<record>& records, std::chrono::milliseconds window,
                    std::chrono::system_clock::time_point now) {
  rebuilder r;
  for (const auto& rec : records)
    if (!r.apply(rec)) ++r.state.unreadable;
  spool_state& state = r.state;
  const std::int64_t oldest = to_unix_ms(now - window);
  std::erase_if(state.keys, [&](const auto& kv) { return kv.second.created_at_ms < oldest; });
  for (auto& [id, m] : r.by_id) (m.done ? state.dead : state.unfinished).push_back(std::move(m));
  const auto by_message_id = [](const spooled_message& a, const spooled_message& b) {
    return a.msg.id < b.msg.id;
  };
  std::sort(state.unfinished.begin(), state.unfinished.end(), by_message_id);
  std::sort(state.dead.begin(), state.dead.end(), by_message_id);
  return std::move(state);
}

}  // namespace notibus::spool
