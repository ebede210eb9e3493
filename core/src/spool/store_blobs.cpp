// The store's side of attachment files (blobs.hpp): kept before the
// message's record, mapped again at start-up, counted in the spool's size.
#include "store.hpp"

namespace notibus::spool {

error_code store::keep_blobs(const message& m) {
  std::uint64_t adding = 0;
  for (const attachment& a : m.attachments) adding += a.size();
  if (settings_.max_bytes != 0 &&
      segments_->bytes() + blobs_->bytes() + adding > settings_.max_bytes)
    return make_error_code(errc::spool_full);
  try {
    blobs_->write(m);
  } catch (const std::system_error& e) {
    if (report_) report_(log_level::error, std::string(e.what()));
    return accepted_error(e.code());
  }
  return {};
}

void store::load_blobs(spool_state& recovered) {
  std::set<std::string> named;
  auto load = [&](message& m) {
    if (m.attachments.empty()) return;
    named.insert(m.id);
    log_left_out(m.id, blobs_->load(m));
  };
  for (auto& m : recovered.unfinished) load(m.msg);
  // Dead letters keep their files until cleared; their mappings go with the
  // recovered copies (a retry reads the message, and maps them, again).
  for (auto& m : recovered.dead) load(m.msg);
  blobs_->remove_all_but(named);
}

void store::log_left_out(const std::string& id, const std::vector<std::string>& left_out) const {
  if (!report_) return;
  for (const auto& what : left_out)
    report_(log_level::error, "spool: message " + id +
                                  " goes on without an attachment whose file is unusable (" + what +
                                  ")");
}

}  // namespace notibus::spool
