// JSON Web Tokens (RFC 7519) signed RS256 (RFC 7518 3.3): the assertion a
// Google service account trades for an access token (RFC 7523), as FCM's
// HTTP v1 API wants it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace notibus::http {

// base64url without padding (RFC 4648 section 5), as JWTs write their parts.
std::string base64url_encode(std::string_view bytes);

// header.claims.signature, the claims as given (a JSON object's text),
// signed with the PEM private key (PKCS#8 or PKCS#1 RSA). nullopt with
// `error` set when the key is not a usable RSA private key; the error never
// quotes the key.
std::optional<std::string> sign_jwt_rs256(std::string_view private_key_pem,
                                          std::string_view claims_json, std::string& error);

// Whether `private_key_pem` reads as an RSA private key (for config checks).
bool readable_rsa_key(std::string_view private_key_pem, std::string& error);

}  // namespace notibus::http
