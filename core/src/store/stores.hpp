// The message_store implementations that keep messages somewhere: the spool
// and the shared JetStream queue (memory's is in message_store.cpp).
#pragma once

#include "message_store.hpp"

namespace notibus {

// Opens (and repairs) the spool; its unfinished messages are adopted by the
// first bus that starts adopting. Throws notibus::error.
std::shared_ptr<message_store> open_spool_store(const spool_settings& settings, log_sink log);

// Connects to the queue. Throws notibus::error, located in `source` (the
// config file).
std::shared_ptr<message_store> open_jetstream_store(const shared_queue_settings& settings,
                                                    const status_settings& status,
                                                    const std::string& source, log_sink log);

}  // namespace notibus
