// AWS Signature Version 4 against AWS's published examples: the IAM
// ListUsers request of the signing guide and the test suite's get-vanilla
// (botocore's signer gives the same, and services_aws_test.py checks signed
// SNS and SES requests with it).
#include <gtest/gtest.h>

#include <chrono>

#include "http/sigv4.hpp"

namespace {

using namespace std::chrono;

const system_clock::time_point example_time =
    system_clock::time_point(seconds(1440938160));  // 2015-08-30T12:36:00Z

notibus::http::aws_credentials example(std::string service) {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", "us-east-1",
          std::move(service)};
}

notibus::http::request get(std::string host, std::string target) {
  notibus::http::request r;
  r.method = "GET";
  r.url.tls = true;
  r.url.host = std::move(host);
  r.url.port = "443";
  r.url.target = std::move(target);
  return r;
}

std::string header(const notibus::http::request& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

}  // namespace

TEST(sigv4, signs_the_iam_example_of_the_signing_guide) {
  auto r = get("iam.amazonaws.com", "/?Action=ListUsers&Version=2010-05-08");
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  notibus::http::sign_aws_v4(r, example("iam"), example_time);
  EXPECT_EQ(header(r, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(header(r, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(sigv4, signs_get_vanilla_and_resigns_cleanly) {
  auto r = get("example.amazonaws.com", "/");
  notibus::http::sign_aws_v4(r, example("service"), example_time);
  const std::string expected =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date, "
      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
  EXPECT_EQ(header(r, "Authorization"), expected);
  notibus::http::sign_aws_v4(r, example("service"), example_time);  // a retry signs again
  EXPECT_EQ(header(r, "Authorization"), expected);
  EXPECT_EQ(r.headers.size(), 2u);
}

TEST(sigv4, temporary_credentials_sign_their_token) {
  auto r = get("example.amazonaws.com", "/");
  auto c = example("service");
  c.session_token = "IQoJb3JpZ2luX2VjEXAMPLE";
  notibus::http::sign_aws_v4(r, c, example_time);
  EXPECT_EQ(header(r, "X-Amz-Security-Token"), "IQoJb3JpZ2luX2VjEXAMPLE");
  EXPECT_NE(header(r, "Authorization").find("SignedHeaders=host;x-amz-date;x-amz-security-token"),
            std::string::npos);
}
