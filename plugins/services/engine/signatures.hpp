// What a request signs before its templates are filled: request.sign's HMAC
// ({{signature}}) and token.jwt's RS256 token ({{jwt}}), from the values of
// one render.
#pragma once

#include <optional>
#include <string>

#include <compiled_service.hpp>
#include "render_context.hpp"

namespace notibus::services {

// The HMAC of the sign's message under its key, base64 or hex.
std::string signature_of(const signing& sign, const context& ctx);

// The claims (strings, then iat and exp from the render's time) signed
// RS256 with the key; nullopt with `error` set when the key is not usable.
std::optional<std::string> signed_jwt(const jwt_spec& jwt, const context& ctx, std::string& error);

}  // namespace notibus::services
