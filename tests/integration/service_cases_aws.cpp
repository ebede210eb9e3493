// Amazon SNS and SES as their stand-ins see them (services_aws_test.py
// checks the signatures with botocore; here the shape, the answers and
// that the secret key shows nowhere).
#include "service_cases.hpp"

namespace notibus::test::service_cases {
namespace {

const char* credentials =
    "    access_key: AKIAIOSFODNN7EXAMPLE\n    secret_key: "
    "\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\"\n"
    "    region: eu-west-1\n";

void expect_signed(const recorded_request& r, const std::string& service) {
  EXPECT_THAT(r.headers.at("authorization"),
              ::testing::StartsWith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"));
  EXPECT_THAT(r.headers.at("authorization"),
              ::testing::HasSubstr("/eu-west-1/" + service + "/aws4_request, SignedHeaders="));
  EXPECT_EQ(r.headers.at("x-amz-date").size(), 16u);
}

}  // namespace

std::vector<service_case> aws_cases() {
  std::vector<service_case> out;

  service_case sns;
  sns.type = "sns";
  sns.tls = true;
  sns.options = [](const http_test_server& s) {
    return credentials +
           std::string("    topic_arn: \"arn:aws:sns:eu-west-1:123456789012:ops\"\n") +
           "    api_url: " + yaml_quote(s.url("")) + "\n";
  };
  sns.path = [](const http_test_server&) { return "/"; };
  sns.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    expect_signed(r, "sns");
    const auto f = form_of(r);
    EXPECT_EQ(f.at("Action"), "Publish");
    EXPECT_EQ(f.at("TopicArn"), "arn:aws:sns:eu-west-1:123456789012:ops");
    EXPECT_EQ(f.at("Message"), m.body);
    EXPECT_EQ(f.at("Subject"), m.title);
    EXPECT_FALSE(f.count("PhoneNumber"));
  };
  const std::string xml = "text/xml";
  sns.ok = answer(200,
                  "<PublishResponse><PublishResult><MessageId>94f20ce6</MessageId></PublishResult>"
                  "</PublishResponse>",
                  xml);
  sns.rate_limited =
      with_header(answer(400,
                         "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate "
                         "exceeded</Message></Error></ErrorResponse>",
                         xml),
                  "Retry-After", "1");
  sns.delay = 1000ms;
  sns.refused = answer(403,
                       "<ErrorResponse><Error><Code>AuthorizationError</Code><Message>not "
                       "authorized</Message></Error></ErrorResponse>",
                       xml);
  sns.secrets = {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"};
  sns.limit = 100000;
  sns.limited = [](const recorded_request& r) { return form_of(r).at("Message"); };
  sns.report_note = "text cut to 100000 characters (the sns limit)";
  out.push_back(sns);

  service_case ses;
  ses.type = "ses";
  ses.tls = true;
  ses.options = [](const http_test_server& s) {
    return credentials + std::string("    from: alerts@example.com\n    to: [ops@example.com]\n") +
           "    api_url: " + yaml_quote(s.url("")) + "\n";
  };
  ses.path = [](const http_test_server&) { return "/v2/email/outbound-emails"; };
  ses.check = [](const recorded_request& r, const notibus::message& m, const std::string&) {
    expect_signed(r, "ses");
    const auto doc = json_of(r);
    EXPECT_EQ(doc.at("FromEmailAddress").as_string(), "alerts@example.com");
    EXPECT_EQ(json::serialize(doc.at("Destination")), R"({"ToAddresses":["ops@example.com"]})");
    const auto& simple = doc.at("Content").at("Simple");
    EXPECT_EQ(simple.at("Subject").at("Data").as_string(), m.title);
    EXPECT_EQ(simple.at("Body").at("Text").at("Data").as_string(), m.body);
    EXPECT_FALSE(simple.at("Body").as_object().contains("Html"));
  };
  ses.ok = answer(200, R"({"MessageId":"0100018c2f3e4-EXAMPLE"})");
  ses.rate_limited = with_header(answer(429, R"({"message":"Maximum sending rate exceeded."})"),
                                 "Retry-After", "1");
  ses.delay = 1000ms;
  ses.refused = answer(400, R"({"message":"Email address is not verified."})");
  ses.secrets = {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"};
  out.push_back(ses);
  return out;
}

}  // namespace notibus::test::service_cases
