#include <notibus/spool_admin.hpp>

#include <future>

#include "store.hpp"

namespace notibus {
namespace {

spooled_dead_letter to_public(const spool::spooled_message& m) {
  spooled_dead_letter out{m.msg, {}};
  for (const auto& o : spool::dead_outcomes(m)) out.failed.push_back(o.delivery);
  return out;
}

void wait_for(std::future<std::error_code> f, const char* what) {
  if (auto ec = f.get()) throw std::system_error(ec, std::string("spool: cannot ") + what);
}

}  // namespace

std::vector<spooled_dead_letter> list_dead_letters(const spool_settings& settings) {
  const spool::recovery r = spool::read_spool(settings.dir);
  const spool::spool_state state =
      spool::rebuild(r.records, settings.idempotency_window, std::chrono::system_clock::now());
  std::vector<spooled_dead_letter> out;
  for (const auto& m : state.dead) out.push_back(to_public(m));
  return out;
}

spool_admin::spool_admin(const spool_settings& settings, log_sink log) {
  spool::spool_state ignored;
  store_ = spool::store::open(settings, std::move(log), ignored);
}

spool_admin::~spool_admin() = default;

std::vector<spooled_dead_letter> spool_admin::dead_letters() const {
  std::vector<spooled_dead_letter> out;
  for (const auto& m : store_->dead_letters()) out.push_back(to_public(m));
  return out;
}

std::string spool_admin::retry(const std::string& message_id) {
  for (const auto& m : store_->dead_letters()) {
    if (m.msg.id != message_id) continue;
    message copy = m.msg;
    copy.id = make_message_id();
    copy.idempotency_key.reset();  // the key keeps naming the first message
    copy.channels.clear();
    for (const auto& o : spool::dead_outcomes(m))
      if (o.delivery.channel != "(none)") copy.channels.push_back(o.delivery.channel);
    std::promise<std::error_code> written;
    store_->append_message(copy, [&](std::error_code ec, std::uint64_t) { written.set_value(ec); });
    wait_for(written.get_future(), "queue the retry");
    // The copy is on disk before the dead letter goes: a crash in between
    // leaves both (a retry twice), never neither.
    std::promise<std::error_code> cleared;
    store_->record_cleared(message_id, [&](std::error_code ec) { cleared.set_value(ec); });
    wait_for(cleared.get_future(), "remove the dead letter");
    return copy.id;
  }
  return {};
}

bool spool_admin::purge(const std::string& message_id) {
  for (const auto& m : store_->dead_letters()) {
    if (m.msg.id != message_id) continue;
    std::promise<std::error_code> cleared;
    store_->record_cleared(message_id, [&](std::error_code ec) { cleared.set_value(ec); });
    wait_for(cleared.get_future(), "remove the dead letter");
    return true;
  }
  return false;
}

}  // namespace notibus
