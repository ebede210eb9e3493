// HMAC (RFC 2104) over SHA-256 or SHA-1, with digests fetched from OpenSSL
// once: OpenSSL 3's one-shot HMAC() looks the algorithms up by name on every
// call, a third of a SigV4-signed request's instructions under callgrind.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace notibus::http {

enum class hmac_digest { sha256, sha1 };

// The raw MAC bytes.
std::string hmac(hmac_digest d, std::string_view key, std::string_view message);

// SHA-256 of `pieces` in order, as lower-case hex.
std::string sha256_hex(std::initializer_list<std::string_view> pieces);

}  // namespace notibus::http
