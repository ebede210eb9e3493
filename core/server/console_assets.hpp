// The web console's files (core/server/console/), compiled into the library
// so the page works offline and in the FROM-scratch image.
#pragma once

#include <optional>
#include <string_view>

#include "http_server.hpp"

namespace notibus::serve {

// GET /ui/ and its files, with the console's security headers; nullopt for
// any other path. The files hold no secret: the page asks for the token and
// sends it only as a bearer header to the API (no cookie: nothing to forge).
std::optional<http_response> console_asset(std::string_view path);

// The bytes every asset adds to the binary (a test bounds them).
std::size_t console_assets_size();

}  // namespace notibus::serve
