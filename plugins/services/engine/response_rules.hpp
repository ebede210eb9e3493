// What a service's answer means: its definition's rules in order, the first
// that matches decides; with none, 408/425/429/5xx are transient, a 2xx is
// delivered unless the definition names what success looks like, the rest
// permanent. A delay the service asks for (Retry-After, a JSON field) is
// passed on, so the core never retries sooner.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <chrono>

#include <compiled_service.hpp>
#include "../../common/http/client.hpp"

namespace notibus::services {

sdk::outcome judge(const compiled_service& s, const http::result& r,
                   std::chrono::system_clock::time_point now);

}  // namespace notibus::services
