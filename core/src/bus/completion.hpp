// The bus's own move-only, type-erased completion. A std::function needs a
// copyable target, so a move-only asio handler had to sit behind a shared_ptr:
// two allocations and a 32-byte std::function for every pending publish. Here
// a callable has one block behind one pointer, and a caller's handler (already
// type-erased by any_completion_handler) is held as it came, with no block.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace notibus::detail {

template <class... Args>
class completion {
 public:
  completion() = default;
  completion(std::nullptr_t) noexcept {}  // NOLINT: as for std::function
  // Moving leaves an empty completion behind (the executor pointer too).
  completion(completion&& other) noexcept
      : impl_(std::move(other.impl_)),
        caller_(std::move(other.caller_)),
        bus_executor_(std::exchange(other.bus_executor_, nullptr)) {}
  completion& operator=(completion&& other) noexcept {
    impl_ = std::move(other.impl_);
    // Not caller_ = std::move(...): Boost 1.81's move assignment of an
    // any_completion_handler wraps it in itself without end.
    caller_handler(std::move(other.caller_)).swap(caller_);
    bus_executor_ = std::exchange(other.bus_executor_, nullptr);
    return *this;
  }
  // A plain callable: runs inline, on the thread that completes.
  template <class F>
  requires(!std::is_same_v<std::decay_t<F>, completion> && std::is_invocable_v<F&, Args...>)
      completion(F f)  // NOLINT: converts like std::function
      : impl_(std::make_unique<inline_call<F>>(std::move(f))) {}

  // An asio completion handler: posted to `executor` when it completes, so it
  // never runs inside the bus's own call stack.
  template <class Handler, class Executor>
  static completion posted_to(Executor executor, Handler handler) {
    completion c;
    c.impl_ = std::make_unique<posted<Handler, Executor>>(std::move(handler), std::move(executor));
    return c;
  }

  // A caller's handler from the public API: it runs on its associated
  // executor, by default the bus's. `bus_executor` must outlive this
  // completion (the bus context, which every tracker shares, holds it): a
  // pending message keeps a pointer, not a 56-byte copy.
  static completion from_caller(boost::asio::any_completion_handler<void(Args...)> handler,
                                const boost::asio::any_io_executor& bus_executor) {
    return completion(std::move(handler), &bus_executor);
  }

  explicit operator bool() const noexcept { return impl_ != nullptr || bus_executor_ != nullptr; }

  // Completes; at most once (afterwards this is empty).
  void operator()(Args... args) {
    if (const auto* executor = std::exchange(bus_executor_, nullptr)) {
      // An io_context's executor is posted to as its concrete type: cheaper.
      using io_executor = boost::asio::io_context::executor_type;
      if (const auto* io = executor->template target<io_executor>())
        return post_to_caller(*io, std::move(caller_), std::move(args)...);
      return post_to_caller(*executor, std::move(caller_), std::move(args)...);
    }
    auto target = std::move(impl_);
    target->run(std::move(args)...);
  }

 private:
  using caller_handler = boost::asio::any_completion_handler<void(Args...)>;

  completion(caller_handler handler, const boost::asio::any_io_executor* bus_executor)
      : caller_(std::move(handler)), bus_executor_(caller_ ? bus_executor : nullptr) {}

  struct base {
    virtual ~base() = default;
    virtual void run(Args... args) = 0;
  };
  template <class F>
  struct inline_call final : base {
    explicit inline_call(F f) : f(std::move(f)) {}
    void run(Args... args) override { f(std::move(args)...); }
    F f;
  };
  template <class Handler, class Executor>
  struct posted final : base {
    posted(Handler h, Executor ex) : handler(std::move(h)), executor(std::move(ex)) {}
    void run(Args... args) override {
      boost::asio::post(executor, [h = std::move(handler), ... args = std::move(args)]() mutable {
        std::move(h)(std::move(args)...);
      });
    }
    Handler handler;
    Executor executor;
  };

  // Posted, so it never runs inside the bus's own call stack, to the
  // handler's associated executor (the bus's unless the caller bound
  // another). Boost 1.81's any_completion_executor cannot be posted to: when
  // it holds an io_context's executor (the daemon's API thread, the bus's
  // own) that one is posted to, in one hop; any other goes through the bus's
  // executor and is dispatched from there, two hops (each a thread's wake-up
  // when the threads differ: the one measured cost 7 % of the daemon's rate).
  template <class Executor>
  static void post_to_caller(const Executor& executor, caller_handler handler, Args... args) {
    using io_executor = boost::asio::io_context::executor_type;
    const auto target = boost::asio::get_associated_executor(handler, executor);
    if (const auto* io = target.template target<io_executor>()) {
      boost::asio::post(*io, [h = std::move(handler), ... args = std::move(args)]() mutable {
        std::move(h)(std::move(args)...);
      });
      return;
    }
    boost::asio::post(
        executor, [h = std::move(handler), ex = executor, ... args = std::move(args)]() mutable {
          auto target = boost::asio::get_associated_executor(h, ex);
          boost::asio::dispatch(target, [h = std::move(h), ... args = std::move(args)]() mutable {
            std::move(h)(std::move(args)...);
          });
        });
  }

  std::unique_ptr<base> impl_;
  caller_handler caller_;  // a caller's handler; then bus_executor_ is set
  const boost::asio::any_io_executor* bus_executor_ = nullptr;
};

}  // namespace notibus::detail
