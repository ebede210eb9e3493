#include "http_test_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace notibus::test {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct http_test_server::impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::optional<asio::ssl::context> tls;
  std::thread accept_thread;
  std::vector<std::thread> workers;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  mutable std::mutex mutex;
  mutable std::condition_variable cv;
  std::vector<recorded_request> log;
  script_fn fn = [](const recorded_request&, std::size_t) { return scripted_response{}; };
  std::size_t accepted = 0;
  std::atomic<bool> stopping{false};

  template <class Stream>
  void serve(Stream& stream, std::size_t connection) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      // Long query strings (a Callmebot text, percent-encoded) exceed Beast's 8 KiB default.
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(256 * 1024);
      parser.body_limit(16 * 1024 * 1024);
      boost::system::error_code ec;
      bhttp::read(stream, buffer, parser, ec);
      if (ec) return;
      auto req = parser.release();
      recorded_request r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        // A repeated field reads as one joined list (RFC 9110 5.3), so a test
        // sees a header sent twice.
        auto [it, fresh] = r.headers.try_emplace(name, f.value());
        if (!fresh) it->second.append(", ").append(f.value());
      }
      r.body = req.body();
      r.connection = connection;
      r.at = std::chrono::steady_clock::now();
      scripted_response plan;
      script_fn script;
      std::size_t index = 0;
      {
        std::lock_guard lock(mutex);
        index = log.size();
        log.push_back(r);
        script = fn;
      }
      cv.notify_all();
      plan = script(r, index);
      if (!act(stream, plan, req.keep_alive())) return;
    }
  }

  // Returns whether the connection stays open for another request.
  template <class Stream>
  bool act(Stream& stream, const scripted_response& plan, bool keep_alive) {
    boost::system::error_code ec;
    switch (plan.action) {
      case server_action::hang: {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return stopping.load(); });
        return false;
      }
      case server_action::close_silently:
        return false;
      case server_action::reset_mid_response: {
        const std::string partial = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial";
        asio::write(stream, asio::buffer(partial), ec);
        auto& socket = lowest(stream);
        socket.set_option(asio::socket_base::linger(true, 0), ec);  // close sends RST
        socket.close(ec);
        return false;
      }
      case server_action::endless_body: {
        const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        asio::write(stream, asio::buffer(head), ec);
        const std::string chunk = "4000\r\n" + std::string(0x4000, 'x') + "\r\n";
        while (!ec && !stopping) asio::write(stream, asio::buffer(chunk), ec);
        return false;
      }
      case server_action::raw:
        asio::write(stream, asio::buffer(plan.body), ec);
        return !ec;
      case server_action::respond:
        break;
    }
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(plan.status), 11};
    for (const auto& [k, v] : plan.headers) res.set(k, v);
    res.body() = plan.body;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    bhttp::write(stream, res, ec);
    return !ec && keep_alive;
  }

  static tcp::socket& lowest(tcp::socket& s) { return s; }
  static tcp::socket& lowest(asio::ssl::stream<tcp::socket&>& s) { return s.next_layer(); }

  void handle(std::shared_ptr<tcp::socket> socket, std::size_t connection) {
    if (!tls) return serve(*socket, connection);
    asio::ssl::stream<tcp::socket&> stream(*socket, *tls);
    boost::system::error_code ec;
    stream.handshake(asio::ssl::stream_base::server, ec);
    if (!ec) serve(stream, connection);
  }

  void accept_loop() {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(io);
      boost::system::error_code ec;
      acceptor.accept(*socket, ec);
      if (ec || stopping) return;
      std::lock_guard lock(mutex);
      sockets.push_back(socket);
      workers.emplace_back([this, socket, n = ++accepted] { handle(socket, n); });
    }
  }
};

http_test_server::http_test_server(std::optional<tls_identity> tls)
    : impl_(std::make_unique<impl>()) {
  if (tls) {
    impl_->tls.emplace(asio::ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(tls->cert_file);
    impl_->tls->use_private_key_file(tls->key_file, asio::ssl::context::pem);
    if (!tls->client_ca.empty()) {
      impl_->tls->load_verify_file(tls->client_ca);
      impl_->tls->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    }
  }
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->accept_thread = std::thread([this] { impl_->accept_loop(); });
}

http_test_server::~http_test_server() {
  impl_->stopping = true;
  impl_->cv.notify_all();
  boost::system::error_code ec;
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);  // wakes the blocking accept
  impl_->acceptor.close(ec);
  impl_->accept_thread.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(impl_->mutex);
    for (auto& s : impl_->sockets) ::shutdown(s->native_handle(), SHUT_RDWR);
    workers.swap(impl_->workers);
  }
  for (auto& t : workers) t.join();
}

unsigned short http_test_server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::string http_test_server::url(const std::string& path) const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) +
         path;
}

void http_test_server::script(script_fn fn) {
  std::lock_guard lock(impl_->mutex);
  impl_->fn = std::move(fn);
}

std::vector<recorded_request> http_test_server::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->log;
}

std::size_t http_test_server::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accepted;
}

bool http_test_server::wait_for_requests(std::size_t n, std::chrono::milliseconds limit) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, limit, [&] { return impl_->log.size() >= n; });
}

namespace {

void run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("test PKI: command failed: " + command);
}

void make_ca(const std::string& dir, const std::string& name) {
  run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + name + " -keyout " + dir +
      "/" + name + ".key -out " + dir + "/" + name + ".pem");
}

tls_identity make_leaf(const std::string& dir, const std::string& name, const std::string& san,
                       const std::string& ca) {
  const std::string base = dir + "/" + name;
  run("openssl req -newkey rsa:2048 -nodes -subj /CN=" + name + " -keyout " + base + ".key -out " +
      base + ".csr");
  std::ofstream(base + ".ext") << "subjectAltName=" << san << "\nbasicConstraints=CA:FALSE\n";
  run("openssl x509 -req -in " + base + ".csr -CA " + dir + "/" + ca + ".pem -CAkey " + dir + "/" +
      ca + ".key -CAcreateserial -days 2 -extfile " + base + ".ext -out " + base + ".pem");
  return {base + ".pem", base + ".key"};
}

}  // namespace

const test_pki& test_pki::get() {
  static const test_pki pki = [] {
    test_pki p;
    char tmpl[] = "/tmp/notibus-pki-XXXXXX";
    p.dir = ::mkdtemp(tmpl);
    make_ca(p.dir, "test-ca");
    make_ca(p.dir, "other-ca");
    p.ca_cert = p.dir + "/test-ca.pem";
    p.other_ca_cert = p.dir + "/other-ca.pem";
    p.server = make_leaf(p.dir, "localhost", "DNS:localhost,IP:127.0.0.1", "test-ca");
    p.wrong_name = make_leaf(p.dir, "wrong", "DNS:wrong.example", "test-ca");
    p.client = make_leaf(p.dir, "client", "DNS:client.example", "test-ca");
    return p;
  }();
  return pki;
}

}  // namespace notibus::test
