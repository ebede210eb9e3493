#include "jwt.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include "base64.hpp"

namespace notibus::http {
namespace {

struct key_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using key_ptr = std::unique_ptr<EVP_PKEY, key_free>;

// A key written in a YAML value or an environment variable often has its
// line breaks as the two characters "\n" (as in a service account's JSON
// file): they are taken as line breaks.
std::string unescaped_pem(std::string_view pem) {
  std::string out;
  out.reserve(pem.size());
  for (std::size_t i = 0; i < pem.size(); ++i) {
    if (pem[i] == '\\' && i + 1 < pem.size() && pem[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else {
      out += pem[i];
    }
  }
  return out;
}

key_ptr read_rsa_key(std::string_view pem, std::string& error) {
  const std::string text = unescaped_pem(pem);
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  key_ptr key(bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr);
  BIO_free(bio);
  if (!key) {
    error = "the private key is not a PEM private key (-----BEGIN PRIVATE KEY-----)";
    return nullptr;
  }
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    error = "the private key is not an RSA key (RS256 needs one)";
    return nullptr;
  }
  return key;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out = base64_encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

bool readable_rsa_key(std::string_view private_key_pem, std::string& error) {
  return read_rsa_key(private_key_pem, error) != nullptr;
}

std::optional<std::string> sign_jwt_rs256(std::string_view private_key_pem,
                                          std::string_view claims_json, std::string& error) {
  const key_ptr key = read_rsa_key(private_key_pem, error);
  if (!key) return std::nullopt;
  std::string token =
      base64url_encode(R"({"alg":"RS256","typ":"JWT"})") + "." + base64url_encode(claims_json);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t size = 0;
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
            EVP_DigestSign(ctx, nullptr, &size,
                           reinterpret_cast<const unsigned char*>(token.data()), token.size()) == 1;
  std::string signature(size, '\0');
  ok =
      ok && EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                           reinterpret_cast<const unsigned char*>(token.data()), token.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    error = "signing with the private key failed";
    return std::nullopt;
  }
  signature.resize(size);
  return token + "." + base64url_encode(signature);
}

}  // namespace notibus::http
