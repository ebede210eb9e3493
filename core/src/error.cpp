#include <notibus/error.hpp>

#include <string>

namespace notibus {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "notibus"; }
  std::string message(int e) const override {
    switch (static_cast<errc>(e)) {
      case errc::no_route:
        return "no route matched the message";
      case errc::unknown_channel:
        return "the message names a channel that is not configured";
      case errc::stopped:
        return "the bus is stopped";
      case errc::invalid_message:
        return "invalid message";
      case errc::queue_full:
        return "a channel's queue is full";
      case errc::spool_full:
        return "the spool is full";
      case errc::spool_failed:
        return "the spool could not store the message";
      case errc::invalid_config:
        return "invalid configuration";
      case errc::channel_failed:
        return "a channel could not start";
      case errc::spool_in_use:
        return "the spool is in use by another process";
      case errc::queue_unavailable:
        return "the shared queue is unavailable";
      case errc::queue_mismatch:
        return "the shared queue exists with other settings";
      case errc::attachments_refused:
        return "the attachments are over a limit, or malformed";
      case errc::too_large_for_queue:
        return "the message with its files is larger than the shared queue keeps per message";
    }
    return "unknown notibus error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const category c;
  return c;
}

error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace notibus
