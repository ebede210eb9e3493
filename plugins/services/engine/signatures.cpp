#include "signatures.hpp"

#include "../../common/http/base64.hpp"
#include "../../common/http/hmac.hpp"
#include "../../common/http/jwt.hpp"

namespace notibus::services {

std::string signature_of(const signing& sign, const context& ctx) {
  const std::string mac =
      http::hmac(sign.sha1 ? http::hmac_digest::sha1 : http::hmac_digest::sha256,
                 ctx.plain(sign.key), ctx.plain(sign.message));
  if (!sign.hex) return http::base64_encode(mac);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : mac) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::optional<std::string> signed_jwt(const jwt_spec& jwt, const context& ctx, std::string& error) {
  std::string claims = "{";
  for (const auto& [name, t] : jwt.claims)
    claims += json_quoted(name) + ":" + json_quoted(ctx.plain(t)) + ",";
  const auto iat =
      std::chrono::duration_cast<std::chrono::seconds>(ctx.now().time_since_epoch()).count();
  claims += "\"iat\":" + std::to_string(iat) + ",\"exp\":" + std::to_string(iat + jwt.lifetime);
  claims += '}';
  return http::sign_jwt_rs256(ctx.plain(jwt.key), claims, error);
}

}  // namespace notibus::services
