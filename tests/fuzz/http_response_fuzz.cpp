// Any bytes a receiver answers with, read by the HTTP client every channel
// uses (over a real socket on 127.0.0.1): never a crash, never a 1xx taken
// for the final answer, and never a connection reused while bytes nobody
// asked for wait on it (those would be read as the next request's answer).
// The input's first line is also parsed as a Retry-After value, and the
// whole input read as an XML answer (a service definition's response rules
// walk one as a JSON tree: plugins/services/engine/xml_answer.hpp). An input
// starting with an even byte is followed by the receiver closing its side
// (fast: the answer is all there is); an odd one keeps the connection open
// for the client to reuse (each such run waits out a short timeout).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include "xml_answer.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "http/client.hpp"
#include "http/retry_after.hpp"
#include "http/url.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Answers each connection's first request with the current input, and any
// later request on it with a 299 that marks it as reused.
class receiver {
 public:
  receiver() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  void answer_with(std::string bytes, bool then_close) {
    std::lock_guard lock(mutex_);
    answer_ = std::move(bytes);
    close_ = then_close;
    reused_ = false;
  }
  bool reused() const { return reused_.load(); }

 private:
  void serve() {
    for (;;) {
      tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec) continue;
      std::string answer;
      bool close = false;
      {
        std::lock_guard lock(mutex_);
        answer = answer_;
        close = close_;
      }
      std::string in;
      for (int request = 0; !ec; ++request) {
        const std::size_t n = asio::read_until(s, asio::dynamic_buffer(in), "\r\n\r\n", ec);
        if (ec) break;
        in.erase(0, n);
        if (request > 0) reused_ = true;
        asio::write(s, asio::buffer(request == 0 ? answer : reuse_marker), ec);
        if (close) break;
      }
    }
  }

  static inline const std::string reuse_marker = "HTTP/1.1 299 Reused\r\nContent-Length: 0\r\n\r\n";
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mutex_;
  std::string answer_;
  bool close_ = false;
  std::atomic<bool> reused_{false};
};

notibus::http::result send(notibus::http::client& c, const notibus::http::target_url& url) {
  std::promise<notibus::http::result> done;
  notibus::http::request req;
  req.url = url;
  req.body = "{}";
  c.send(req, [&](notibus::http::result r) { done.set_value(std::move(r)); });
  return done.get_future().get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto now = std::chrono::system_clock::now();
  if (auto d = notibus::http::parse_retry_after(input.substr(0, input.find('\n')), now))
    if (d->count() < 0 || *d > std::chrono::hours(24 * 365 * 101)) __builtin_trap();
  if (auto tree = notibus::services::xml_answer(input))
    if (!tree->is_object() && !tree->is_string()) __builtin_trap();

  // Kept for the whole run and never destroyed: their threads outlive exit.
  static receiver& server = *new receiver;
  static notibus::http::client& client = *new notibus::http::client([] {
    notibus::http::client_settings s;
    s.preload_tls = false;
    s.max_connections = 1;
    s.timeouts.total = s.timeouts.response = std::chrono::milliseconds(20);
    return s;
  }());
  std::string error;
  static const auto url = *notibus::http::parse_url(
      "http://127.0.0.1:" + std::to_string(server.port()) + "/hook", error);
  server.answer_with(input, size == 0 || data[0] % 2 == 0);
  const auto first = send(client, url);
  if (first.error == notibus::http::failure::none && first.resp.status >= 100 &&
      first.resp.status < 200)
    __builtin_trap();  // an interim answer is not the outcome
  const auto second = send(client, url);
  // Reused: whatever the first answer left behind must not be read as this one.
  if (server.reused() && second.error == notibus::http::failure::none && second.resp.status != 299)
    __builtin_trap();
  return 0;
}
