// Standard Webhooks signatures (https://www.standardwebhooks.com): headers
// webhook-id, webhook-timestamp and webhook-signature "v1,<base64 HMAC-SHA256 of
// id.timestamp.body>", keyed with the bytes of a "whsec_<base64>" secret.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notibus::webhook {

class signer {
 public:
  // nullopt with `error` set (never quoting the secret) when it is malformed.
  static std::optional<signer> from_secret(std::string_view whsec, std::string& error);

  // "v1,<base64>" over the body's pieces in order. Throws std::runtime_error
  // if OpenSSL fails.
  std::string signature(std::string_view id, std::int64_t unix_seconds,
                        const std::vector<std::string_view>& body) const;

 private:
  std::string key_;
};

}  // namespace notibus::webhook
