// Message-level errors of the bus (per-channel failures are in delivery_report).
#pragma once

#include <system_error>

namespace notibus {

enum class errc {
  no_route = 1,     // no route matched and the message named no channel
  unknown_channel,  // the message named a channel that is not configured
  stopped,          // the bus is stopping or stopped
  invalid_message,  // a text field that is not valid UTF-8 or holds a NUL; too large
  queue_full,       // try_publish: a channel's queue is full
  spool_full,       // the spool reached max_bytes (or the disk is full)
  spool_failed,     // the spool could not write the message (an I/O error)
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace notibus

template <>
struct std::is_error_code_enum<notibus::errc> : std::true_type {};
