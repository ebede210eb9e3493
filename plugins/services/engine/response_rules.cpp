#include "response_rules.hpp"

#include "xml_answer.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cmath>

#include "../../common/http/excerpt.hpp"
#include "../../common/http/retry_after.hpp"
#include "../../common/http/transport_options.hpp"

namespace notibus::services {
namespace {

namespace json = boost::json;
using sdk::outcome;

// The answer's JSON document, parsed once and only when a rule asks.
class answer {
 public:
  explicit answer(const http::response& r) : r_(r) {}

  const json::value* at(std::string_view path) {
    if (!parsed_) {
      parsed_ = true;
      json::error_code ec;
      doc_ = json::parse(r_.body, ec);
      if (ec) doc_ = xml_answer(r_.body).value_or(nullptr);  // Prowl answers in XML
    }
    const json::value* v = &doc_;
    while (!path.empty()) {
      const std::size_t dot = path.find('.');
      const std::string_view step = path.substr(0, dot);
      if (v->is_object()) {
        v = v->as_object().if_contains(step);
      } else if (v->is_array()) {
        std::size_t index = 0;
        for (char c : step) index = c >= '0' && c <= '9' ? index * 10 + (c - '0') : SIZE_MAX;
        v = index < v->as_array().size() ? &v->as_array()[index] : nullptr;
      } else {
        v = nullptr;
      }
      if (!v) return nullptr;
      path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    }
    return v;
  }

  // A JSON value as a rule compares it and an error text shows it.
  static std::string text(const json::value& v) {
    return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
  }

  const http::response& response() const { return r_; }

 private:
  const http::response& r_;
  bool parsed_ = false;
  json::value doc_;
};

std::string trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return std::string(s);
}

// Timeout, too early, too many requests: worth another try whatever a
// catch-all range says.
bool asks_to_retry(unsigned status) {
  return status == 408 || status == 425 || status == 429;
}

bool matches(const response_rule& rule, answer& a) {
  const unsigned status = a.response().status;
  if (!rule.status.empty()) {
    // A range ([400-499]) does not take 408, 425 or 429: only a rule that
    // names one of them on its own does (a catch-all made Gotify's 429
    // permanent in 1.0).
    bool any = false;
    for (const auto& [lo, hi] : rule.status)
      any = any || (status >= lo && status <= hi && (lo == hi || !asks_to_retry(status)));
    if (!any) return false;
  }
  for (const auto& [path, expected] : rule.json) {
    const json::value* v = a.at(path);
    if (expected == "present") {
      if (!v || v->is_null()) return false;
    } else if (expected == "absent") {
      if (v && !v->is_null()) return false;
    } else if (!v || answer::text(*v) != expected) {
      return false;
    }
  }
  return !rule.body || trim(a.response().body) == *rule.body;
}

std::optional<std::chrono::milliseconds> delay(const std::vector<retry_source>& sources, answer& a,
                                               std::chrono::system_clock::time_point now) {
  for (const auto& source : sources) {
    if (!source.header.empty()) {
      if (auto h = a.response().header(source.header))
        if (auto d = http::parse_retry_after(*h, now)) return d;
      continue;
    }
    const json::value* v = a.at(source.json_path);
    if (!v || !v->is_number()) continue;
    const double amount = v->to_number<double>();
    if (!std::isfinite(amount) || amount < 0) continue;
    const double ms = std::ceil(source.milliseconds ? amount : amount * 1000.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, 86400000.0)));
  }
  if (auto h = a.response().header("Retry-After")) return http::parse_retry_after(*h, now);
  return std::nullopt;
}

std::string error_text(const service_template& t, answer& a) {
  auto value = [&](const placeholder& p) -> std::string {
    if (p.name == "status") return std::to_string(a.response().status);
    if (p.name.substr(0, 9) == "response.")
      if (const json::value* v = a.at(std::string_view(p.name).substr(9))) return answer::text(*v);
    return {};
  };
  std::string out;
  t.for_each_shown([&](const placeholder& p) { return !value(p).empty(); },
                   [&](const service_template::part& part) {
                     out += part.literal() ? part.text : value(part.value);
                   });
  return http::excerpt(out, 300);  // the service's words: escaped, bounded
}

}  // namespace

outcome judge(const compiled_service& s, const http::result& r,
              std::chrono::system_clock::time_point now) {
  return judge(s.responses, s.error, r, now);
}

outcome judge(const std::vector<response_rule>& rules,
              const std::optional<service_template>& default_error, const http::result& r,
              std::chrono::system_clock::time_point now) {
  if (auto failed = http::transport_failure(r)) return *failed;
  answer a(r.resp);
  const unsigned status = r.resp.status;
  const response_rule* rule = nullptr;
  for (const auto& candidate : rules)
    if (matches(candidate, a)) {
      rule = &candidate;
      break;
    }
  outcome_kind kind;
  if (rule) {
    kind = rule->outcome;
  } else {
    const bool success_defined =
        std::any_of(rules.begin(), rules.end(),
                    [](const response_rule& x) { return x.outcome == outcome_kind::delivered; });
    kind = asks_to_retry(status) || (status >= 500 && status < 600) ? outcome_kind::transient
           : status >= 200 && status < 300 && !success_defined      ? outcome_kind::delivered
                                                                    : outcome_kind::permanent;
  }
  if (kind == outcome_kind::delivered) return outcome::delivered();

  std::string why;
  if (rule && rule->error) why = error_text(*rule->error, a);
  if (why.empty() && default_error) why = error_text(*default_error, a);
  if (why.empty() && !r.resp.body.empty()) why = http::excerpt(r.resp.body);
  if (why.empty() && status >= 200 && status < 300)
    why = "the answer does not say it was delivered";
  std::string error = "HTTP " + std::to_string(status) + (why.empty() ? "" : ": " + why);
  if (kind == outcome_kind::permanent) return outcome::permanent(error);
  static const std::vector<retry_source> none;
  return outcome::transient(error, delay(rule ? rule->retry_after : none, a, now));
}

bool answer_matches(const std::vector<response_rule>& rules, const http::response& r) {
  answer a(r);
  return std::any_of(rules.begin(), rules.end(),
                     [&](const response_rule& rule) { return matches(rule, a); });
}

std::optional<std::string> capture_values(const request_spec& step, const http::response& r,
                                          captured_values& into) {
  answer a(r);
  for (const auto& [name, path] : step.capture) {
    const json::value* v = a.at(path);
    if (!v || v->is_null()) return path;
    into[name] = answer::text(*v);
  }
  return std::nullopt;
}

std::optional<std::string> value_at(const http::response& r, const std::string& path) {
  answer a(r);
  const json::value* v = a.at(path);
  if (!v || v->is_null()) return std::nullopt;
  return answer::text(*v);
}

}  // namespace notibus::services
