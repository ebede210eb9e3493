// A move-only, type-erased completion handler. A std::function needs a
// copyable target, so a move-only asio handler had to sit behind a shared_ptr:
// two allocations and a 32-byte std::function for every pending publish. Here
// the handler (and the executor it runs on) share one block behind one pointer.
#pragma once

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

  std::unique_ptr<base> impl_;
};

}  // namespace notibus::detail
