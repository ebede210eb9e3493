#include "standard_webhooks.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../common/http/base64.hpp"

namespace notibus::webhook {

using http::base64_decode;
using http::base64_encode;

std::optional<signer> signer::from_secret(std::string_view whsec, std::string& error) {
  constexpr std::string_view prefix = "whsec_";
  if (whsec.substr(0, prefix.size()) != prefix) {
    error = "must start with \"whsec_\" followed by the base64 key (Standard Webhooks)";
    return std::nullopt;
  }
  auto key = base64_decode(whsec.substr(prefix.size()));
  if (!key) {
    error = "the part after \"whsec_\" is not valid base64";
    return std::nullopt;
  }
  if (key->size() < 24 || key->size() > 64) {
    error = "the key must be 24 to 64 bytes (got " + std::to_string(key->size()) + ")";
    return std::nullopt;
  }
  signer s;
  s.key_ = std::move(*key);
  return s;
}

std::string signer::signature(std::string_view id, std::int64_t unix_seconds,
                              std::string_view body) const {
  const std::string content =
      std::string(id) + "." + std::to_string(unix_seconds) + "." + std::string(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_size);
  return "v1," + base64_encode(std::string_view(reinterpret_cast<const char*>(mac), mac_size));
}

}  // namespace notibus::webhook
