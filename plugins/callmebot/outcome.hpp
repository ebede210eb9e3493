// What a Callmebot answer means. Callmebot reports most errors with HTTP 2xx,
// so success is only a 200 whose body carries a known success marker; any
// other 200 is a permanent "unrecognised response" (a blind retry of a queued
// message would send it twice).
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "../common/http/client.hpp"
#include "../common/http/excerpt.hpp"
#include "../common/http/redact.hpp"

namespace notibus::callmebot {

using sdk::outcome;

// `secrets` are cut out of any text that goes into an error (raw and encoded).
outcome classify(const http::result& r, const http::redactor& secrets);

}  // namespace notibus::callmebot
