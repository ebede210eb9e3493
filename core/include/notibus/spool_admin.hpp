// A spool's dead letters, for `notibus dead-letters list|retry|purge`: the
// deliveries that failed for good, kept with their message and reason.
#pragma once

#include <notibus/config.hpp>
#include <notibus/delivery.hpp>
#include <notibus/diagnostic.hpp>
#include <notibus/log.hpp>
#include <notibus/message.hpp>

#include <memory>
#include <string>
#include <vector>

namespace notibus {

namespace spool {
class store;
}

// Reads the spool without changing it, so it works while `notibus serve` runs.
// Errors (an unreadable directory) throw notibus::error.
dead_letter_page list_dead_letters(const spool_settings& settings, const dead_letter_query& q = {});

// Changes need the spool to themselves: the constructor throws notibus::error
// with errc::spool_in_use while another process (a running daemon) holds it.
class spool_admin {
 public:
  explicit spool_admin(const spool_settings& settings, log_sink log = {});
  ~spool_admin();
  spool_admin(const spool_admin&) = delete;
  spool_admin& operator=(const spool_admin&) = delete;

  dead_letter_page dead_letters(const dead_letter_query& q = {}) const;
  // Queues a copy (a new id, the same content, only the failed channels) for
  // the next start of the bus, and removes the dead letter. Returns the new id,
  // or an empty string when there is no dead letter with that id.
  std::string retry(const std::string& message_id);
  // Removes the dead letter; false when there is none with that id.
  bool purge(const std::string& message_id);

 private:
  void clear(const std::string& message_id);

  std::shared_ptr<spool::store> store_;
};

}  // namespace notibus
