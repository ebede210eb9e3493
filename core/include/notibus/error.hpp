// Message-level errors of the bus (per-channel failures are in delivery_report),
// and the codes of set-up errors (notibus::error, diagnostic.hpp).
// They are Boost.System error codes, as Asio's own: with use_awaitable or
// use_future an error is thrown as boost::system::system_error, as_tuple and
// redirect_error see it as any Asio error.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

namespace notibus {

using error_code = boost::system::error_code;

enum class errc {
  no_route = 1,     // no route matched and the message named no channel
  unknown_channel,  // the message named a channel that is not configured
  stopped,          // the bus is stopping or stopped
  invalid_message,  // a text field that is not valid UTF-8 or holds a NUL; too large
  queue_full,       // try_publish: a channel's queue is full
  spool_full,       // the spool reached max_bytes (or the disk is full)
  spool_failed,     // the spool could not write the message (an I/O error)
  // Set-up errors (notibus::error::code()):
  invalid_config,  // the config does not load
  channel_failed,  // a channel's plugin refused to start
  spool_in_use,    // another process (a running daemon) holds the spool
  // Added in 1.1 (after the set-up errors, so no earlier value moved):
  queue_unavailable,  // the shared queue (JetStream) cannot be reached or refused the message
  queue_mismatch,     // set-up: the stream or consumer exists with other settings
  // Added in 1.2:
  attachments_refused,  // over the config's `attachments` limits, or malformed
  // The message with its files is larger than the shared queue keeps per
  // message (its JetStream server's max_payload).
  too_large_for_queue,
};

const boost::system::error_category& error_category() noexcept;
error_code make_error_code(errc e) noexcept;

}  // namespace notibus

template <>
struct boost::system::is_error_code_enum<notibus::errc> : std::true_type {};
