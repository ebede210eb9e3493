// The webhook's delivery rules: what an HTTP result means for the core.
//   2xx delivered; 408, 425, 429, 5xx transient (Retry-After honoured);
//   other 4xx permanent with the status and the start of the body; a 3xx that
//   was not followed permanent; network trouble transient; certificates permanent.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "../common/http/client.hpp"

namespace notibus::webhook {

using sdk::outcome;

outcome classify(const http::result& r, int follow_redirects,
                 std::chrono::system_clock::time_point now);

}  // namespace notibus::webhook
