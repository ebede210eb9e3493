#include "token_cache.hpp"

#include <algorithm>
#include <cstdlib>

#include "../../common/http/redact.hpp"
#include "../../common/http/transport_options.hpp"
#include "response_rules.hpp"

namespace notibus::services {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

// A token is renewed before it expires by a tenth of its life, at most a
// minute: requests signed with it still have time to arrive.
steady_clock::duration margin(seconds lifetime) {
  return std::min<steady_clock::duration>(seconds(60), lifetime / 10);
}

constexpr std::size_t max_remembered_values = 16;

}  // namespace

void token_cache::get(callback done) {
  std::unique_lock lock(mutex_);
  if (current_ && steady_clock::now() < renew_at_) {
    values token = current_;
    lock.unlock();
    return done({std::move(token), {}});
  }
  waiting_.push_back(std::move(done));
  if (fetching_) return;
  fetching_ = true;
  lock.unlock();
  fetch();
}

void token_cache::drop(const values& used) {
  std::lock_guard lock(mutex_);
  if (current_ == used) current_.reset();
}

bool token_cache::refused(const http::result& r) const {
  return !http::transport_failure(r) && answer_matches(s_.token->refresh, r.resp);
}

std::string token_cache::redact(std::string text) const {
  std::lock_guard lock(mutex_);
  return redactor_.apply(std::move(text));
}

void token_cache::fetch() {
  std::string error;
  auto req = renderer_.render_token(error);
  if (!req)
    return settle({nullptr, sdk::outcome::permanent("cannot build the token request: " + error)},
                  {});
  client_.send(std::move(*req), [this](http::result res) {
    const token_spec& t = *s_.token;
    // The token endpoint's errors are its own (OAuth's {"error",
    // "error_description"}): the service's default_error does not read them.
    static const std::optional<service_template> own_words;
    sdk::outcome v = judge(t.request.responses, own_words, res, std::chrono::system_clock::now());
    if (!v.is_delivered()) {
      v.error = "the token request failed: " + v.error;
      return settle({nullptr, std::move(v)}, {});
    }
    auto token = std::make_shared<captured_values>();
    if (auto missing = capture_values(t.request, res.resp, *token))
      return settle({nullptr, sdk::outcome::permanent("the token answer has no " + *missing)}, {});
    settle({std::move(token), {}}, lifetime_of(res.resp));
  });
}

// token.expires_in when the answer has it (a number, or a number as text),
// else token.lifetime.
seconds token_cache::lifetime_of(const http::response& r) const {
  const token_spec& t = *s_.token;
  if (!t.expires_in.empty())
    if (const auto text = value_at(r, t.expires_in)) {
      char* end = nullptr;
      const double n = std::strtod(text->c_str(), &end);
      if (end && *end == '\0' && n >= 1 && n <= 366.0 * 86400) return seconds(std::int64_t(n));
    }
  return seconds(t.lifetime);
}

void token_cache::settle(answer a, seconds lifetime) {
  std::vector<callback> waiting;
  {
    std::lock_guard lock(mutex_);
    fetching_ = false;
    current_ = a.token;
    if (a.token) {
      renew_at_ = steady_clock::now() + lifetime - margin(lifetime);
      for (const auto& [name, value] : *a.token)
        if (std::find(seen_.begin(), seen_.end(), value) == seen_.end()) seen_.push_back(value);
      if (seen_.size() > max_remembered_values)
        seen_.erase(seen_.begin(), seen_.end() - max_remembered_values);
      // The shared redactor (short values left alone, percent-encoded forms too).
      redactor_ = {};
      for (const auto& value : seen_) redactor_.add(value);
    }
    waiting.swap(waiting_);
  }
  for (auto& done : waiting) done(a);
}

}  // namespace notibus::services
