// Token exchange (a definition's `token:`) through the bus against one
// stand-in playing the token endpoint and the service, in process, so the
// cache, its waiting deliveries and the refresh after a refusal also run
// under the sanitizers in CI: messages sent at once share one fetch, a 401
// gets one new token for everyone waiting, and no token reaches a log.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <vector>

#include "../support/channel_env.hpp"
#include "../support/http_test_server.hpp"
#include "service_cases.hpp"

using notibus::test::http_test_server;
using notibus::test::recorded_request;
using namespace notibus::test::service_cases;

TEST(token_exchange, messages_share_one_fetch_and_a_refusal_refreshes_once) {
  http_test_server server;
  std::atomic<int> fetches{0}, refused{0};
  server.script([&](const recorded_request& r, std::size_t) {
    if (r.target == "/tenant-1/oauth2/v2.0/token")
      return answer(200,
                    R"({"token_type":"Bearer","expires_in":3599,"access_token":"secret-token-)" +
                        std::to_string(++fetches) + "\"}");
    const auto auth = r.headers.count("authorization") ? r.headers.at("authorization") : "";
    // The first token is refused once, as an expired one would be.
    if (auth == "Bearer secret-token-1" && refused++ == 0)
      return answer(401, R"({"error":{"code":"InvalidAuthenticationToken","message":"expired"}})");
    return auth.rfind("Bearer secret-token-", 0) == 0 ? answer(202, "")
                                                      : answer(401, R"({"error":{}})");
  });
  notibus::test::channel_env env(
      "office365",
      "version: 1\nchannels:\n  mail:\n    type: office365\n    tenant: tenant-1\n"
      "    client_id: app\n    client_secret: client-secret-1\n    from: ops@example.com\n"
      "    to: [a@example.com, b@example.com]\n    max_inflight: 4\n    api_url: \"" +
          server.url("") + "\"\n    login_url: \"" + server.url("") +
          "\"\nroutes:\n  - to: [mail]\n");
  std::vector<std::future<std::tuple<notibus::error_code, notibus::delivery_report>>> sent;
  for (int i = 0; i < 3; ++i)
    sent.push_back(notibus::test::publish_future(*env.b, sample("m" + std::to_string(i), "b")));
  for (auto& f : sent) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    const auto report = std::get<1>(f.get());
    EXPECT_TRUE(report.all_delivered()) << report.channels.at(0).last_error;
  }
  EXPECT_EQ(fetches.load(), 2);  // the first, and one after the refusal
  std::size_t mails = 0;
  for (const auto& r : server.requests()) mails += r.target.find("/sendMail") != std::string::npos;
  EXPECT_EQ(mails, 7u);  // 3 messages x 2 recipients, one of them sent twice
  EXPECT_EQ(env.all_logs().find("secret-token"), std::string::npos);
  EXPECT_EQ(env.all_logs().find("client-secret-1"), std::string::npos);
}
