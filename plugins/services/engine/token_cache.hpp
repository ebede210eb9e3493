// The token a service's requests carry (`token:` in its definition): fetched
// once and shared by every delivery of the channel until shortly before it
// expires; deliveries that find none wait for the one fetch under way. A
// token is never logged: its values are cut out of every error text.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <compiled_service.hpp>
#include "../../common/http/client.hpp"
#include "../../common/http/redact.hpp"
#include "request_renderer.hpp"

namespace notibus::services {

class token_cache {
 public:
  // What the token's request captured ({{token.NAME}}); shared, never changed.
  using values = std::shared_ptr<const captured_values>;
  // A token, or why none could be had (the kind the token's answer warrants).
  struct answer {
    values token;
    sdk::outcome failure;
  };
  using callback = std::function<void(answer)>;

  // Requests go through `client`, which must outlive this cache's fetches.
  token_cache(const compiled_service& s, const request_renderer& renderer, http::client& client)
      : s_(s), renderer_(renderer), client_(client) {}

  // `done` gets the cached token at once, or runs (on the client's thread)
  // when the fetch it waits for ends.
  void get(callback done);
  // `used` was refused by the service: the next get() fetches a new one,
  // unless another delivery already did.
  void drop(const values& used);
  // Whether the service's answer says its token was refused (token.refresh).
  bool refused(const http::result& r) const;
  // `text` without any value of a token this cache had.
  std::string redact(std::string text) const;

 private:
  void fetch();
  void settle(answer a, std::chrono::seconds lifetime);
  std::chrono::seconds lifetime_of(const http::response& r) const;

  const compiled_service& s_;
  const request_renderer& renderer_;
  http::client& client_;
  mutable std::mutex mutex_;
  values current_;
  std::chrono::steady_clock::time_point renew_at_;
  bool fetching_ = false;
  std::vector<callback> waiting_;
  std::vector<std::string> seen_;  // the last tokens' values
  http::redactor redactor_;        // made of seen_, for redact()
};

}  // namespace notibus::services
