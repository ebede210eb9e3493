// A channel's judgement of one attempt, and handing it to the core.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace notibus::plugins {

struct verdict {
  notibus_outcome outcome = NOTIBUS_OUTCOME_PERMANENT;
  std::string error;
  std::optional<std::chrono::milliseconds> retry_after;
};

// `note` is what a delivery report says on success (e.g. a truncation).
inline void report(sdk::completion& done, const verdict& v, const std::string& note = {}) {
  if (v.outcome == NOTIBUS_OUTCOME_DELIVERED)
    done.delivered(note);
  else if (v.outcome == NOTIBUS_OUTCOME_TRANSIENT)
    done.transient(v.error, v.retry_after);
  else
    done.permanent(v.error);
}

}  // namespace notibus::plugins
