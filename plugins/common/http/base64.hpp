// Base64 (RFC 4648, padded) for HTTP Basic credentials and signatures.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace notibus::http {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);  // nullopt when malformed

}  // namespace notibus::http
