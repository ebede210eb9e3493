#include "hmac.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace notibus::http {
namespace {

const EVP_MD* digest(hmac_digest d) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return d == hmac_digest::sha1 ? sha1 : sha256;
}

// Contexts made once per thread: a digest starts as a copy of one already
// initialized (EVP_DigestInit costs several times what hashing a request does).
struct thread_contexts {
  EVP_MD_CTX* sha256 = nullptr;
  EVP_MD_CTX* sha1 = nullptr;
  EVP_MD_CTX* work = EVP_MD_CTX_new();
  ~thread_contexts() {
    EVP_MD_CTX_free(sha256);
    EVP_MD_CTX_free(sha1);
    EVP_MD_CTX_free(work);
  }
  EVP_MD_CTX* started(const EVP_MD* md, EVP_MD_CTX*& cached) {
    if (!cached) {
      cached = EVP_MD_CTX_new();
      EVP_DigestInit_ex(cached, md, nullptr);
    }
    EVP_MD_CTX_copy_ex(work, cached);
    return work;
  }
};

std::string digest_of(const EVP_MD* md, std::initializer_list<std::string_view> pieces) {
  thread_local thread_contexts contexts;
  EVP_MD_CTX* ctx =
      contexts.started(md, md == digest(hmac_digest::sha1) ? contexts.sha1 : contexts.sha256);
  for (const auto piece : pieces) EVP_DigestUpdate(ctx, piece.data(), piece.size());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx, out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

}  // namespace

std::string hmac(hmac_digest d, std::string_view key, std::string_view message) {
  const EVP_MD* md = digest(d);
  const auto block = static_cast<std::size_t>(EVP_MD_get_block_size(md));  // 64
  std::string long_key;
  if (key.size() > block) key = long_key = digest_of(md, {key});
  char inner[128] = {}, outer[128] = {};
  std::copy(key.begin(), key.end(), inner);
  std::copy(key.begin(), key.end(), outer);
  for (std::size_t i = 0; i < block; ++i) {
    inner[i] = static_cast<char>(inner[i] ^ 0x36);
    outer[i] = static_cast<char>(outer[i] ^ 0x5c);
  }
  return digest_of(md, {std::string_view(outer, block),
                        digest_of(md, {std::string_view(inner, block), message})});
}

std::string sha256_hex(std::initializer_list<std::string_view> pieces) {
  static constexpr char digits[] = "0123456789abcdef";
  const std::string raw = digest_of(digest(hmac_digest::sha256), pieces);
  std::string out;
  out.reserve(raw.size() * 2);
  for (const unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace notibus::http
