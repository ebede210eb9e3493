// The (error, report) of one publish as a future, for tests that look at both.
// (Boost 1.81's as_tuple does not adapt use_future.)
#pragma once

#include <notibus/bus.hpp>

#include <future>
#include <memory>
#include <tuple>

namespace notibus::test {

using report_future = std::future<std::tuple<error_code, delivery_report>>;

inline report_future publish_future(bus& b, message m) {
  auto done = std::make_shared<std::promise<std::tuple<error_code, delivery_report>>>();
  auto future = done->get_future();
  b.async_publish(std::move(m), [done](error_code ec, delivery_report r) {
    done->set_value({ec, std::move(r)});
  });
  return future;
}

}  // namespace notibus::test
