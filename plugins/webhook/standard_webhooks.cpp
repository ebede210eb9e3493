#include "standard_webhooks.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <stdexcept>

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
                              const std::vector<std::string_view>& body) const {
  // HMAC-SHA256 fed piece by piece: a body with files is never joined.
  const std::string head = std::string(id) + "." + std::to_string(unix_seconds) + ".";
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t out_size = 0;
  bool ok = ctx && EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key_.data()),
                                key_.size(), params) == 1;
  ok = ok && EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(head.data()), head.size());
  for (std::string_view piece : body)
    ok = ok && EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(piece.data()),
                              piece.size()) == 1;
  ok = ok && EVP_MAC_final(ctx, out, &out_size, sizeof out) == 1;
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  if (!ok) throw std::runtime_error("HMAC-SHA256 failed");
  return "v1," + base64_encode(std::string_view(reinterpret_cast<const char*>(out), out_size));
}

}  // namespace notibus::webhook
