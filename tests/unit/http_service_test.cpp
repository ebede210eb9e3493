// notibus::http_service embedded the way an application would: a bus of its
// own, the HTTP API on an io_context it runs, a real client over 127.0.0.1.
#include <notibus/bus.hpp>
#include <notibus/http_service.hpp>

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include <thread>

#include "../support/test_bus.hpp"

using namespace std::chrono_literals;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

struct reply {
  unsigned status = 0;
  std::string body;
};

// One request on a connection of its own.
reply request(unsigned short port, http::verb verb, const std::string& target,
              const std::string& token = {}, const std::string& body = {}) {
  boost::asio::io_context io;
  tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req(verb, target, 11);
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(socket, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return {res.result_int(), res.body()};
}

// The HTTP side on a thread of its own, as an application would run it.
struct served {
  boost::asio::io_context io;
  notibus::http_service http;
  std::thread runner;

  served(std::shared_ptr<notibus::bus> bus, const notibus::server_settings& s)
      : http(io, std::move(bus), s) {
    http.start();
    runner = std::thread([this] { io.run(); });
  }
  ~served() {
    http.stop();
    io.stop();
    runner.join();
  }
};

notibus::server_settings settings_with_token(const std::string& token) {
  notibus::server_settings s;
  s.listen = "127.0.0.1:0";
  s.auth_token = token;
  return s;
}

std::string state_of(unsigned short port, const std::string& id, const std::string& token) {
  for (int i = 0; i < 500; ++i) {
    const reply r = request(port, http::verb::get, "/v1/messages/" + id, token);
    if (r.status == 200) {
      const auto doc = boost::json::parse(r.body).as_object();
      const auto& first = doc.at("channels").as_array().at(0).as_object();
      const std::string state(first.at("state").as_string());
      if (state == "delivered" || state == "failed") return state;
    }
    std::this_thread::sleep_for(2ms);
  }
  return "timed out";
}

const std::string yaml =
    "version: 1\nchannels:\n  c: {type: fault, mode: ok}\nroutes:\n  - to: [c]\n";

}  // namespace

TEST(http_service, serves_an_applications_bus_behind_its_token) {
  notibus::test::test_env env(yaml);
  std::shared_ptr<notibus::bus> bus = env.make_bus();
  served s(bus, settings_with_token("tok-embedded"));
  ASSERT_NE(s.http.port(), 0);

  const std::string message = R"({"topic":"t","title":"hi","body":"from the app"})";
  EXPECT_EQ(request(s.http.port(), http::verb::post, "/v1/messages", {}, message).status, 401u);
  EXPECT_EQ(request(s.http.port(), http::verb::post, "/v1/messages", "wrong", message).status,
            401u);
  const reply accepted =
      request(s.http.port(), http::verb::post, "/v1/messages", "tok-embedded", message);
  ASSERT_EQ(accepted.status, 202u) << accepted.body;
  const std::string id(boost::json::parse(accepted.body).as_object().at("id").as_string());
  EXPECT_EQ(state_of(s.http.port(), id, "tok-embedded"), "delivered");
  EXPECT_EQ(notibus::test::fault_log::instance().attempts("c").size(), 1u);

  const reply metrics = request(s.http.port(), http::verb::get, "/metrics", "tok-embedded");
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_NE(metrics.body.find("notibus_messages_accepted_total 1\n"), std::string::npos)
      << metrics.body;
  EXPECT_EQ(request(s.http.port(), http::verb::get, "/readyz", "tok-embedded").status, 200u);
  bus->stop(1s);
}

TEST(http_service, replace_serves_the_next_bus_and_keeps_the_last_ones_messages) {
  notibus::test::test_env env(yaml);
  std::shared_ptr<notibus::bus> first = env.make_bus();
  const auto before = settings_with_token("tok-1");
  served s(first, before);
  const unsigned short port = s.http.port();
  const std::string message = R"({"topic":"t","body":"x"})";
  const reply old_one = request(port, http::verb::post, "/v1/messages", "tok-1", message);
  ASSERT_EQ(old_one.status, 202u);
  const std::string old_id(boost::json::parse(old_one.body).as_object().at("id").as_string());
  EXPECT_EQ(state_of(port, old_id, "tok-1"), "delivered");

  // A new token takes effect at once; the bound port stays.
  std::shared_ptr<notibus::bus> second = env.make_bus();
  auto after = before;
  after.auth_token = "tok-2";
  after.listen = "127.0.0.1:" + std::to_string(port);
  EXPECT_FALSE(s.http.replace(second, after));  // listen differs in text: needs a restart
  after.listen = before.listen;
  EXPECT_TRUE(s.http.replace(second, after));
  EXPECT_EQ(s.http.current_bus(), second);
  EXPECT_EQ(s.http.previous_bus(), first);
  EXPECT_EQ(request(port, http::verb::post, "/v1/messages", "tok-1", message).status, 401u);
  const reply new_one = request(port, http::verb::post, "/v1/messages", "tok-2", message);
  ASSERT_EQ(new_one.status, 202u);
  const std::string new_id(boost::json::parse(new_one.body).as_object().at("id").as_string());
  EXPECT_EQ(state_of(port, new_id, "tok-2"), "delivered");
  EXPECT_EQ(state_of(port, old_id, "tok-2"), "delivered");  // asked of the bus before
  EXPECT_EQ(first->stats()[0].delivered, 1u);
  EXPECT_EQ(second->stats()[0].delivered, 1u);
  first->stop(1s);
  second->stop(1s);
}

TEST(http_service, refuses_an_address_it_cannot_bind_and_names_it) {
  notibus::test::test_env env(yaml);
  std::shared_ptr<notibus::bus> bus = env.make_bus();
  served s(bus, settings_with_token(""));
  auto clash = settings_with_token("");
  clash.listen = "127.0.0.1:" + std::to_string(s.http.port());
  boost::asio::io_context io;
  try {
    notibus::http_service second(io, bus, clash);
    FAIL() << "bound a port already in use";
  } catch (const notibus::error& e) {  // one error type for set-up problems
    EXPECT_NE(std::string(e.what()).find(clash.listen), std::string::npos) << e.what();
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics()[0].path, "server.listen");
    EXPECT_EQ(e.code(), boost::system::errc::address_in_use);
  }
  bus->stop(1s);
}

// The answers the web console uses: recent messages page by page, filtered by
// state, found by idempotency key; bad parameters refused; the configuration
// with secrets (declared, and from ${VAR}) redacted; the page's files public
// and locked down by their Content-Security-Policy.
TEST(http_service, answers_what_the_console_asks) {
  ::setenv("CONSOLE_TEST_LABEL", "label-from-the-environment", 1);
  notibus::test::test_env env(
      "version: 1\nchannels:\n"
      "  c: {type: fault, mode: ok, token: token-in-the-file, label: \"${CONSOLE_TEST_LABEL}\"}\n"
      "  d: {type: fault, mode: permanent, label: "
      "\"https://u:pw-in-url@h.example/p?key=k-in-query\"}\n"
      "routes:\n  - match: {topic: \"fail.*\"}\n    to: [d]\n  - to: [c]\n");
  std::shared_ptr<notibus::bus> bus = env.make_bus();
  served s(bus, settings_with_token("tok"));
  const auto port = s.http.port();
  auto post = [&](const std::string& body) {
    const reply r = request(port, http::verb::post, "/v1/messages", "tok", body);
    EXPECT_EQ(r.status, 202u) << r.body;
    return std::string(boost::json::parse(r.body).as_object().at("id").as_string());
  };
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(post(R"({"topic":"ok","title":"t","body":"b"})"));
  ids.push_back(post(R"({"topic":"fail.x","title":"t","body":"b"})"));
  ids.push_back(post(R"({"topic":"ok","title":"t","body":"b","idempotency_key":"order-7"})"));
  // An application may set ids itself: one that sorts before all the others
  // is kept apart (out of order) and still listed in its place, last.
  notibus::message early = notibus::test::make_message("ok");
  early.id = "00000000000000000000000001";
  bus->publish(early);
  ids.insert(ids.begin(), early.id);
  for (const auto& id : ids) EXPECT_NE(state_of(port, id, "tok"), "timed out");

  auto list = [&](const std::string& query) {
    const reply r = request(port, http::verb::get, "/v1/messages" + query, "tok");
    EXPECT_EQ(r.status, 200u) << r.body;
    return boost::json::parse(r.body).as_object();
  };
  // Newest first, three at a time, until no next page.
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 5; ++page) {
    auto doc = list("?limit=3" + (after.empty() ? "" : "&after=" + after));
    for (const auto& m : doc.at("messages").as_array())
      seen.emplace_back(m.as_object().at("id").as_string());
    if (!doc.contains("next_after")) break;
    after = std::string(doc.at("next_after").as_string());
  }
  EXPECT_EQ(seen, std::vector<std::string>(ids.rbegin(), ids.rend()));
  auto failed = list("?state=failed").at("messages").as_array();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].as_object().at("id").as_string(), ids[6]);
  EXPECT_EQ(list("?state=delivered").at("messages").as_array().size(), 7u);
  auto by_key = list("?key=order-7").at("messages").as_array();
  ASSERT_EQ(by_key.size(), 1u);
  EXPECT_EQ(by_key[0].as_object().at("id").as_string(), ids[7]);
  EXPECT_TRUE(list("?key=unknown").at("messages").as_array().empty());
  for (const char* bad : {"?limit=0", "?limit=x", "?limit=1001", "?state=lost", "?colour=red"})
    EXPECT_EQ(request(port, http::verb::get, std::string("/v1/messages") + bad, "tok").status, 400u)
        << bad;
  EXPECT_EQ(request(port, http::verb::get, "/v1/messages", "").status, 401u);
  EXPECT_EQ(request(port, http::verb::get, "/v1/config", "").status, 401u);

  const reply config = request(port, http::verb::get, "/v1/config", "tok");
  ASSERT_EQ(config.status, 200u);
  EXPECT_EQ(config.body.find("token-in-the-file"), std::string::npos) << config.body;
  EXPECT_EQ(config.body.find("label-from-the-environment"), std::string::npos) << config.body;
  EXPECT_EQ(config.body.find("pw-in-url"), std::string::npos) << config.body;
  EXPECT_EQ(config.body.find("k-in-query"), std::string::npos) << config.body;
  EXPECT_NE(config.body.find("https://<redacted>@h.example/<redacted>"), std::string::npos)
      << config.body;
  const auto doc = boost::json::parse(config.body).as_object();
  const auto& c = doc.at("channels").as_array().at(0).as_object();
  EXPECT_EQ(c.at("options").as_object().at("token").as_string(), "<redacted>");
  EXPECT_EQ(c.at("options").as_object().at("label").as_string(), "<redacted>");
  EXPECT_EQ(doc.at("routes").as_array().at(0).as_string(), "topic fail.* -> d");
  EXPECT_EQ(doc.at("durability").as_string().subview().substr(0, 6), "memory");

  const reply channels = request(port, http::verb::get, "/v1/channels", "tok");
  const auto chans = boost::json::parse(channels.body).as_object().at("channels").as_array();
  for (const auto& ch : chans) {
    const auto& o = ch.as_object();
    EXPECT_EQ(o.at("state").as_string(), o.at("name").as_string() == "d" ? "failing" : "ok");
  }

  // The page: without the token, with a policy that allows no inline script.
  const reply page = request(port, http::verb::get, "/ui/");
  EXPECT_EQ(page.status, 200u);
  EXPECT_NE(page.body.find("/ui/console.js"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);  // none inline
  EXPECT_EQ(request(port, http::verb::get, "/ui/nothing-here.js").status, 404u);
  EXPECT_EQ(request(port, http::verb::post, "/ui/", "tok").status, 405u);
  EXPECT_EQ(request(port, http::verb::get, "/").status, 302u);
  bus->stop(1s);
}
