#include "jetstream_queue.hpp"

namespace notibus::jetstream {

// Report records: a version byte, a flags byte, then the spool's snapshot
// encoding (the message id, one outcome per planned channel).
std::string encode_report(const delivery_report& r, bool final) {
  spool::snapshot_record s;
  s.msg.id = r.message_id;
  s.done = final;
  for (const auto& d : r.channels) s.outcomes.push_back({r.message_id, d, false});
  std::string out;
  out += '\x01';
  out += static_cast<char>((r.delivered ? 1 : 0) | (final ? 2 : 0));
  out += spool::encode_snapshot(s);
  return out;
}

std::optional<delivery_report> decode_report(std::string_view in, bool* final) {
  if (in.size() < 2 || in[0] != '\x01') return std::nullopt;
  const auto flags = static_cast<unsigned char>(in[1]);
  auto s = spool::decode_snapshot(in.substr(2));
  if (!s) return std::nullopt;
  delivery_report r;
  r.message_id = s->msg.id;
  r.source = source_of(s->msg);
  r.delivered = flags & 1;
  for (auto& o : s->outcomes) r.channels.push_back(std::move(o.delivery));
  if (final) *final = flags & 2;
  return r;
}

}  // namespace notibus::jetstream
