// The built-in definitions' response rules say only what the engine would
// not do anyway (plugins/services/README.md, `responses`): a rule that
// restates the defaults is noise a reader must check, and a catch-all
// copied from one definition to the next is how 429 became permanent in 1.0.
#include <gtest/gtest.h>

#include <notibus/plugin_registry.hpp>

#include <strings.h>
#include <algorithm>

#include "compiled_service.hpp"
#include "services/catalog.hpp"

namespace {

using notibus::services::outcome_kind;
using notibus::services::response_rule;

bool asks_to_retry(unsigned status) {
  return status == 408 || status == 425 || status == 429;
}

// What the engine decides when no rule matches (response_rules.cpp).
outcome_kind default_outcome(unsigned status, bool success_defined) {
  if (asks_to_retry(status) || (status >= 500 && status < 600)) return outcome_kind::transient;
  if (status >= 200 && status < 300 && !success_defined) return outcome_kind::delivered;
  return outcome_kind::permanent;
}

// The statuses a rule's `status` takes (a range never takes 408, 425, 429).
std::vector<unsigned> statuses_of(const response_rule& rule) {
  std::vector<unsigned> out;
  for (const auto& [lo, hi] : rule.status)
    for (unsigned s = lo; s <= hi; ++s)
      if (lo == hi || !asks_to_retry(s)) out.push_back(s);
  return out;
}

bool takes(const response_rule& rule, unsigned status) {
  const auto all = statuses_of(rule);
  return rule.status.empty() || std::find(all.begin(), all.end(), status) != all.end();
}

// A status-only rule with nothing of its own (no error text, no retry source
// beyond the Retry-After header every transient answer is read for).
bool says_nothing_else(const response_rule& rule) {
  if (rule.status.empty() || !rule.json.empty() || rule.body || rule.error) return false;
  for (const auto& r : rule.retry_after)
    if (!r.json_path.empty() || strcasecmp(r.header.c_str(), "Retry-After") != 0) return false;
  return true;
}

}  // namespace

TEST(service_definitions, no_built_in_rule_restates_the_engines_defaults) {
  notibus::plugin_registry registry;
  auto& catalog = registry.service_catalog();
  std::size_t checked = 0;
  for (const auto* info : catalog.list()) {
    std::string error;
    const auto compiled = notibus::services::compiled_service::from_json(
        catalog.find(info->name)->engine_json, error);
    ASSERT_TRUE(compiled) << info->name << ": " << error;
    const auto& rules = compiled->responses;
    const bool success_defined = std::any_of(rules.begin(), rules.end(), [](const auto& r) {
      return r.outcome == outcome_kind::delivered;
    });
    for (std::size_t i = 0; i < rules.size(); ++i) {
      ++checked;
      if (!says_nothing_else(rules[i])) continue;
      bool restates = true, shadows = false;
      for (unsigned s : statuses_of(rules[i])) {
        restates = restates && default_outcome(s, success_defined) == rules[i].outcome;
        for (std::size_t later = i + 1; later < rules.size(); ++later)
          shadows = shadows || takes(rules[later], s);
      }
      // Removing a rule that a later one would then take changes the meaning.
      EXPECT_FALSE(restates && !shadows) << info->name << ": responses[" << i << "]";
    }
  }
  EXPECT_GE(checked, 14u);
}
