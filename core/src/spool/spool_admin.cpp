#include <notibus/spool_admin.hpp>

#include <future>

#include "store.hpp"

namespace notibus {

dead_letter_page list_dead_letters(const spool_settings& settings, const dead_letter_query& q) {
  spool::recovery r;
  try {
    r = spool::read_spool(settings.dir);
  } catch (const std::system_error& e) {
    throw spool::as_error(e);
  }
  const spool::spool_state state =
      spool::rebuild(r.records, settings.idempotency_window, std::chrono::system_clock::now());
  std::map<std::string, const spool::spooled_message*> by_id;
  for (const auto& m : state.dead) by_id.emplace(m.msg.id, &m);
  return spool::page_of(by_id, q, [](const std::string&, const spool::spooled_message* m) {
    return spool::to_dead_letter(*m);
  });
}

spool_admin::spool_admin(const spool_settings& settings, log_sink log) {
  spool::spool_state ignored;
  try {
    store_ = spool::store::open(settings, std::move(log), ignored);
  } catch (const std::system_error& e) {
    throw spool::as_error(e);
  }
}

spool_admin::~spool_admin() = default;

dead_letter_page spool_admin::dead_letters(const dead_letter_query& q) const {
  return store_->dead_letters(q);
}

std::string spool_admin::retry(const std::string& message_id) {
  const auto dead = store_->dead_letter(message_id);
  if (!dead) return {};
  const message copy = spool::retry_copy(*dead);
  if (auto ec = store_->keep_blobs(copy))
    throw spool::as_error(std::system_error(ec, "cannot queue the retry"));
  std::promise<std::error_code> written;
  store_->append_message(copy, [&](std::error_code ec) { written.set_value(ec); });
  if (auto ec = written.get_future().get())
    throw spool::as_error(std::system_error(ec, "cannot queue the retry"));
  // The copy is on disk before the dead letter goes: a crash in between
  // leaves both (a retry twice), never neither.
  clear(message_id);
  return copy.id;
}

bool spool_admin::purge(const std::string& message_id) {
  if (!store_->has_dead_letter(message_id)) return false;
  clear(message_id);
  return true;
}

void spool_admin::clear(const std::string& message_id) {
  try {
    store_->clear_dead_letter(message_id);
  } catch (const std::system_error& e) {
    throw spool::as_error(e);
  }
}

}  // namespace notibus
