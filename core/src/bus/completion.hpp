// The bus's own move-only, type-erased completion. A std::function needs a
// copyable target, so a move-only asio handler had to sit behind a shared_ptr:
// two allocations and a 32-byte std::function for every pending publish. Here
// the handler (and the executor it runs on) share one block behind one pointer.
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
  // executor, by default the bus's. It is kept as long as the message is
  // queued, so the bus's executor is stored as its concrete type when that is
  // an io_context's: 8 bytes instead of 56.
  static completion from_caller(boost::asio::any_completion_handler<void(Args...)> handler,
                                const boost::asio::any_io_executor& bus_executor) {
    completion c;
    if (!handler) return c;
    using io_executor = boost::asio::io_context::executor_type;
    if (auto* io = bus_executor.target<io_executor>())
      c.impl_ = std::make_unique<caller<io_executor>>(std::move(handler), *io);
    else
      c.impl_ =
          std::make_unique<caller<boost::asio::any_io_executor>>(std::move(handler), bus_executor);
    return c;
  }

  explicit operator bool() const noexcept { return impl_ != nullptr; }

  // Completes; at most once (afterwards this is empty).
  void operator()(Args... args) {
    auto target = std::move(impl_);
    target->run(std::move(args)...);
  }

 private:
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

  // Posted to the bus's executor first (so it never runs inside the bus's own
  // call stack), then dispatched to the handler's associated executor (the
  // same one unless the caller bound another): Boost 1.81's
  // any_completion_executor cannot be posted to directly.
  template <class BusExecutor>
  struct caller final : base {
    using handler_type = boost::asio::any_completion_handler<void(Args...)>;
    caller(handler_type h, BusExecutor ex) : handler(std::move(h)), executor(std::move(ex)) {}
    void run(Args... args) override {
      boost::asio::post(
          executor, [h = std::move(handler), ex = executor, ... args = std::move(args)]() mutable {
            auto target = boost::asio::get_associated_executor(h, ex);
            boost::asio::dispatch(target, [h = std::move(h), ... args = std::move(args)]() mutable {
              std::move(h)(std::move(args)...);
            });
          });
    }
    handler_type handler;
    BusExecutor executor;
  };

  std::unique_ptr<base> impl_;
};

}  // namespace notibus::detail
