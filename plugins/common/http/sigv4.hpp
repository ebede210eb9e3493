// AWS Signature Version 4 for a request as it will be sent (its method, URL,
// headers and whole body): what SNS and SES (and any AWS API a service
// definition calls) require. Adds X-Amz-Date, X-Amz-Security-Token with
// temporary credentials, and Authorization. Signed: host, content-type and
// every x-amz-* header; the payload by its SHA-256.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
#pragma once

#include <chrono>
#include <string>

#include "client.hpp"

namespace notibus::http {

struct aws_credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // temporary credentials only
  std::string region;         // us-east-1
  std::string service;        // sns, ses, ...
};

void sign_aws_v4(request& req, const aws_credentials& c, std::chrono::system_clock::time_point now);

}  // namespace notibus::http
