// What a service's answer means: its definition's rules in order, the first
// that matches decides; with none, 408/425/429/5xx are transient, a 2xx is
// delivered unless the definition names what success looks like, the rest
// permanent. A delay the service asks for (Retry-After, a JSON field) is
// passed on, so the core never retries sooner.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include <compiled_service.hpp>
#include "../../common/http/client.hpp"
#include "request_renderer.hpp"

namespace notibus::services {

sdk::outcome judge(const compiled_service& s, const http::result& r,
                   std::chrono::system_clock::time_point now);
// The same with other rules (an upload step's own, the token's) and the
// error text when no rule gives one (none: the answer's own words).
sdk::outcome judge(const std::vector<response_rule>& rules,
                   const std::optional<service_template>& default_error, const http::result& r,
                   std::chrono::system_clock::time_point now);

// Whether any of `rules` matches the answer (their outcomes aside).
bool answer_matches(const std::vector<response_rule>& rules, const http::response& r);

// Reads what `step` captures from its JSON answer into `into`; the JSON path
// the answer lacks, if one does.
std::optional<std::string> capture_values(const request_spec& step, const http::response& r,
                                          captured_values& into);

// The value at a JSON path of the answer, as text; nullopt when absent or null.
std::optional<std::string> value_at(const http::response& r, const std::string& path);

}  // namespace notibus::services
