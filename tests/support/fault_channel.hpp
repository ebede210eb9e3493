// A channel for tests only, scripted by its options:
//   mode: ok | transient | permanent | hang
//   fail_times: for `transient`, fail this many times, then deliver (-1: always fail)
//   retry_after: for `transient`, ask for at least this delay
//   delay: complete from a worker thread after this long (0: inline in send())
//   refuse_start: the constructor throws, so the bus cannot start the channel
//   careless: a plugin that quotes its options (`label`, `token`) in errors, as
//     a badly written one would; `complain` makes validate() report one such
//     error, saying whether the host told it `label` is sensitive
// Every attempt is recorded in fault_log so tests can check counts and timing.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

namespace notibus::test {

struct fault_attempt {
  std::string message_id;
  std::uint32_t attempt;
  std::chrono::steady_clock::time_point at;
};

class fault_log {
 public:
  static fault_log& instance() {
    static fault_log log;
    return log;
  }
  void record(const std::string& channel, fault_attempt a) {
    std::lock_guard lock(mutex_);
    attempts_[channel].push_back(std::move(a));
  }
  std::vector<fault_attempt> attempts(const std::string& channel) {
    std::lock_guard lock(mutex_);
    return attempts_[channel];
  }
  void clear() {
    std::lock_guard lock(mutex_);
    attempts_.clear();
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<fault_attempt>> attempts_;
};

class fault_channel {
 public:
  static std::vector<notibus_option_v1> options() {
    return {
        sdk::option("mode", NOTIBUS_OPTION_ENUM)
            .one_of("ok|transient|permanent|hang")
            .fallback("ok"),
        sdk::option("fail_times", NOTIBUS_OPTION_INT).fallback("1").range(-1, 1000000),
        sdk::option("retry_after", NOTIBUS_OPTION_DURATION),
        sdk::option("delay", NOTIBUS_OPTION_DURATION).fallback("0ms"),
        sdk::option("token", NOTIBUS_OPTION_STRING).secret().doc("A secret, for redaction tests."),
        sdk::option("label", NOTIBUS_OPTION_STRING).doc("Any text; `careless` quotes it."),
        sdk::option("careless", NOTIBUS_OPTION_BOOL).fallback("false"),
        sdk::option("complain", NOTIBUS_OPTION_BOOL).fallback("false"),
        sdk::option("refuse_start", NOTIBUS_OPTION_BOOL).fallback("false"),
    };
  }

  static int validate(sdk::config_view& c) {
    if (!c.get_bool("complain").value_or(false)) return 0;
    c.error("label", "careless plugin quotes \"" + c.string_or("label", "") + "\" and \"" +
                         c.string_or("token", "") + "\" (label is " +
                         (c.is_sensitive("label") ? "sensitive" : "plain") + ")");
    return 1;
  }

  explicit fault_channel(const sdk::config_view& c)
      : name_(c.instance_name()),
        mode_(c.string_or("mode", "ok")),
        fail_times_(c.get_int("fail_times").value_or(1)),
        retry_after_(c.get_duration("retry_after")),
        delay_(c.get_duration("delay").value_or(std::chrono::milliseconds(0))) {
    if (c.get_bool("careless").value_or(false))
      careless_text_ =
          " (label " + c.string_or("label", "") + ", token " + c.string_or("token", "") + ")";
    if (c.get_bool("refuse_start").value_or(false))
      throw std::runtime_error("scripted refusal to start");
    if (delay_.count() > 0) worker_ = std::thread([this] { run(); });
  }

  ~fault_channel() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  void send(const sdk::message_view& m, sdk::completion done) {
    fault_log::instance().record(
        name_, {std::string(m.id()), m.attempt(), std::chrono::steady_clock::now()});
    if (mode_ == "hang") {
      std::lock_guard lock(mutex_);
      hung_.push_back(done);  // kept, never completed
      return;
    }
    if (delay_.count() == 0) return complete(m.attempt(), done);
    std::lock_guard lock(mutex_);
    pending_.push({std::chrono::steady_clock::now() + delay_, m.attempt(), done});
    cv_.notify_all();
  }

 private:
  struct pending {
    std::chrono::steady_clock::time_point due;
    std::uint32_t attempt;
    sdk::completion done;
    bool operator<(const pending& o) const { return due > o.due; }
  };

  void complete(std::uint32_t attempt, sdk::completion& done) {
    if (mode_ == "permanent") return done.permanent("scripted permanent failure" + careless_text_);
    if (mode_ == "transient" &&
        (fail_times_ < 0 || attempt <= static_cast<std::uint32_t>(fail_times_)))
      return done.transient("scripted transient failure " + std::to_string(attempt), retry_after_);
    done.delivered();
  }

  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (pending_.empty()) {
        cv_.wait(lock);
        continue;
      }
      const auto due = pending_.top().due;  // a copy: pushes while waiting move the heap
      if (cv_.wait_until(lock, due) == std::cv_status::no_timeout) continue;
      pending p = pending_.top();
      pending_.pop();
      lock.unlock();
      complete(p.attempt, p.done);
      lock.lock();
    }
  }

  std::string name_;
  std::string mode_;
  std::int64_t fail_times_;
  std::optional<std::chrono::milliseconds> retry_after_;
  std::chrono::milliseconds delay_;
  std::string careless_text_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::priority_queue<pending> pending_;
  std::vector<sdk::completion> hung_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace notibus::test

// Defined once in tests/support/fault_channel.cpp.
extern "C" const notibus_plugin_v1* notibus_channel_entry_fault(uint32_t host_abi);
