#include "publish_outcome.hpp"

namespace notibus::serve {

std::optional<publish_problem> problem_of(const publish_result& r) {
  if (!r.error) return std::nullopt;
  if (r.error == errc::spool_full)
    return publish_problem{
        503, "spool_full", "the spool is full (spool.max_bytes or the disk); retry later",
        "",  "5",          true};
  if (r.error == errc::spool_failed)
    return publish_problem{
        503, "spool_failed", "the spool could not store the message; retry later", "", "5", true};
  if (r.error == errc::queue_unavailable)
    return publish_problem{503,
                           "queue_unavailable",
                           "the shared queue (JetStream) cannot store the message now; retry later",
                           "",
                           "2",
                           true};
  if (r.error == errc::queue_full)
    return publish_problem{503, "queue_full", "a channel's queue is full; retry later",
                           "",  "1",          true};
  if (r.error == errc::unknown_channel)
    return publish_problem{400, "unknown_channel", "a named channel is not configured", "channels"};
  if (r.error == errc::no_route)
    return publish_problem{422, "no_route", "no route matches the message and it names no channel"};
  if (r.error == errc::invalid_message)
    return publish_problem{400, "invalid_message", "a field is not valid UTF-8 or holds a NUL"};
  if (r.error == errc::attachments_refused)
    return publish_problem{400, "invalid_attachment",
                           "the attachments are over a limit, or malformed", "attachments"};
  if (r.error == errc::too_large_for_queue)
    return publish_problem{413, "attachment_too_large",
                           "the message with its files is larger than the shared queue keeps per "
                           "message (its JetStream server's max_payload)",
                           "attachments"};
  if (r.error == errc::stopped)
    return publish_problem{503, "stopping", "the server is shutting down"};  // not counted
  return publish_problem{500, "internal", "the message could not be published"};
}

}  // namespace notibus::serve
