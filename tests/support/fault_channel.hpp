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
  struct config {
    std::string mode = "ok";
    std::int64_t fail_times = 1;
    std::optional<std::chrono::milliseconds> retry_after;
    std::chrono::milliseconds delay{0};
    std::string token;
    std::string label;
    bool careless = false;
    bool complain = false;
    bool refuse_start = false;
  };
  static const sdk::schema<config>& schema() {
    static const auto s =
        sdk::schema<config>()
            .field("mode", &config::mode, "What each attempt does.",
                   {.values = "ok|transient|permanent|hang"})
            .field("fail_times", &config::fail_times, "Transient failures before a delivery.",
                   {.min = -1, .max = 1000000})
            .field("retry_after", &config::retry_after, "The delay a failure asks for.")
            .field("delay", &config::delay, "How long each attempt takes.")
            .field("token", &config::token, "A secret, for redaction tests.", {.secret = true})
            .field("label", &config::label, "Any text; `careless` quotes it.")
            .field("careless", &config::careless, "Quote label and token in errors.")
            .field("complain", &config::complain, "Refuse the config, quoting label and token.")
            .field("refuse_start", &config::refuse_start, "Throw when created.");
    return s;
  }

  static void validate(const config& c, sdk::config_view& view) {
    if (!c.complain) return;
    view.error("label", "careless plugin quotes \"" + c.label + "\" and \"" + c.token +
                            "\" (label is " + (view.is_sensitive("label") ? "sensitive" : "plain") +
                            ")");
  }

  fault_channel(const config& c, const sdk::config_view& view)
      : name_(view.instance_name()),
        mode_(c.mode),
        fail_times_(c.fail_times),
        retry_after_(c.retry_after),
        delay_(c.delay) {
    if (c.careless) careless_text_ = " (label " + c.label + ", token " + c.token + ")";
    if (c.refuse_start) throw std::runtime_error("scripted refusal to start");
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
