#include "gateway.hpp"

#include <boost/asio/bind_executor.hpp>

#include "../attachment_request.hpp"
#include "../fetch/fetch_attachments.hpp"
#include "../publish_outcome.hpp"

namespace notibus::serve::ingest {

struct gateway::endpoint {
  std::unique_ptr<dialect> speaks;
  std::string secret;             // empty: open, as the native API without auth_token
  std::size_t max_body = 0;       // with the files a dialect may carry
  std::size_t max_text_body = 0;  // without them
  // A token bucket of settings().per_second (burst as large), under mutex_.
  double tokens = 0;
  std::chrono::steady_clock::time_point filled{};
};

struct gateway::state {
  std::vector<endpoint> endpoints;
  attachment_settings attachments;
  std::vector<std::string> path_secrets;
  std::vector<std::string> secret_paths;  // where those dialects are served
};

// The messages of one request, published one after another on `executor`.
struct gateway::publishing : std::enable_shared_from_this<publishing> {
  gateway& owner;
  std::shared_ptr<state> keep;  // the dialect lives as long as its request
  const dialect& speaks;
  std::string target;
  std::vector<message> messages;
  std::vector<std::string> ids;
  std::shared_ptr<bus> bus_;
  boost::asio::any_io_executor executor;
  http_server::respond_fn respond;

  publishing(gateway& g, std::shared_ptr<state> s, const dialect& d, std::string t,
             std::vector<message> m, std::shared_ptr<bus> b, boost::asio::any_io_executor e,
             http_server::respond_fn r)
      : owner(g),
        keep(std::move(s)),
        speaks(d),
        target(std::move(t)),
        messages(std::move(m)),
        bus_(std::move(b)),
        executor(std::move(e)),
        respond(std::move(r)) {}

  void next() {
    if (ids.size() == messages.size()) {
      owner.count(speaks.name(), &dialect_counters::accepted, messages.size());
      return respond(speaks.accepted(target, messages, ids));
    }
    message& m = messages[ids.size()];
    if (!has_url_attachments(m)) return publish(m);
    // As POST /v1/messages: URL attachments are fetched before the message
    // is accepted, under the config's address guard and bounds.
    fetch_attachments(executor, std::move(m), keep->attachments,
                      [self = shared_from_this()](std::optional<request_error> e, message fetched) {
                        if (e)
                          return self->refuse({e->status, e->code, e->field + ": " + e->detail});
                        message& slot = self->messages[self->ids.size()];
                        slot = std::move(fetched);
                        self->publish(slot);
                      });
  }

  void refuse(const refusal& why) {
    owner.count(speaks.name(), &dialect_counters::accepted, ids.size());
    owner.count(speaks.name(), &dialect_counters::rejected);
    respond(speaks.refused(why));
  }

  void publish(message& m) {
    if (!m.attachments.empty()) {
      leave_out_optional_over_limits(m, keep->attachments);
      if (auto over = check_attachment_limits(m, keep->attachments))
        return refuse({over->status, over->code, over->field + ": " + over->detail});
    }
    bus_->async_try_publish(speaks.echoes_messages() ? message(m) : std::move(m),
                            boost::asio::bind_executor(executor, [self = shared_from_this()](
                                                                     error_code, publish_result r) {
                              self->on_published(r);
                            }));
  }

  void on_published(const publish_result& r) {
    if (auto p = problem_of(r)) {
      owner.count(speaks.name(), &dialect_counters::accepted, ids.size());
      owner.count(speaks.name(),
                  p->temporary ? &dialect_counters::refused : &dialect_counters::rejected);
      return respond(speaks.refused({p->status, p->code, p->detail, p->retry_after}));
    }
    ids.push_back(r.id);
    next();
  }
};

void gateway::configure(const ingest_settings& settings, const std::string& server_token,
                        std::size_t server_max_body, const attachment_settings& attachments) {
  auto next = std::make_shared<state>();
  next->attachments = attachments;
  for (auto& d : make_dialects(settings)) {
    endpoint e;
    const auto& s = d->settings();
    e.secret = !s.token.empty() ? s.token : !settings.token.empty() ? settings.token : server_token;
    e.max_text_body = s.max_body ? std::min(s.max_body, server_max_body) : server_max_body;
    e.max_body = e.max_text_body + (d->takes_files() ? attachments.max_total : 0);
    e.tokens = s.per_second;
    if (d->secret_in_path()) {
      next->secret_paths.push_back(d->settings().path);
      if (!e.secret.empty()) next->path_secrets.push_back(e.secret);
    }
    e.speaks = std::move(d);
    next->endpoints.push_back(std::move(e));
  }
  std::lock_guard lock(mutex_);
  state_ = std::move(next);
}

std::shared_ptr<gateway::state> gateway::current() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void gateway::count(const std::string& dialect, std::uint64_t dialect_counters::*which,
                    std::uint64_t n) {
  std::lock_guard lock(mutex_);
  auto it = counters_.find(dialect);
  if (it == counters_.end()) it = counters_.emplace(dialect, dialect_counters{}).first;
  it->second.*which += n;
}

// The checks before a request is read as the dialect's: secret, size, rate.
std::optional<refusal> gateway::gate(endpoint& e, const http_request& req, const std::string& path,
                                     bool head_only) {
  const dialect& d = *e.speaks;
  if (const auth_result allowed =
          e.secret.empty() ? auth_result::allowed : d.authorized(req, path, e.secret);
      allowed != auth_result::allowed) {
    count(d.name(), &dialect_counters::unauthorized);
    http_request shown{req.method, req.target, req.version, {}, {}, req.remote};
    if (d.secret_in_path())  // a wrong guess may be near the secret: not logged either
      shown.target = path.substr(0, path.rfind('/') + 1) + "<redacted>";
    refusals_.note(shown, allowed);
    return refusal{401, "unauthorized", "a valid token is required"};
  }
  const std::string* length = req.header("content-length");
  const std::size_t size =
      head_only && length ? std::strtoull(length->c_str(), nullptr, 10) : req.body.size();
  if (size > e.max_body) {
    count(d.name(), &dialect_counters::limited);
    return refusal{413, "too_large", "the body is over " + std::to_string(e.max_body) + " bytes"};
  }
  if (head_only || !d.settings().per_second) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  const double rate = d.settings().per_second;
  e.tokens =
      std::min(rate, e.tokens + rate * std::chrono::duration<double>(now - e.filled).count());
  e.filled = now;
  if (e.tokens >= 1) {
    e.tokens -= 1;
    return std::nullopt;
  }
  ++counters_[d.name()].limited;
  return refusal{
      429, "rate_limited",
      "over " + std::to_string(d.settings().per_second) + " requests a second; retry later", "1"};
}

// Only files may take a body past the dialect's max_body (as in POST /v1/messages).
std::optional<refusal> gateway::over_text_limit(const endpoint& e, const http_request& req,
                                                const std::vector<message>& messages) {
  if (req.body.size() <= e.max_text_body) return std::nullopt;
  std::size_t file_bytes = 0;
  for (const message& m : messages)
    for (const attachment& a : m.attachments) file_bytes += a.size();
  if (req.body.size() <= e.max_text_body + file_bytes) return std::nullopt;
  return refusal{
      413, "too_large",
      "the body is over " + std::to_string(e.max_text_body) + " bytes besides its files"};
}

gateway::endpoint* gateway::find(state& s, const std::string& path, std::string_view listener) {
  for (endpoint& e : s.endpoints)
    if (e.speaks->settings().listen == listener && e.speaks->serves(path)) return &e;
  return nullptr;
}

bool gateway::handle(const http_request& req, const std::string& path, std::shared_ptr<bus> target,
                     boost::asio::any_io_executor executor, http_server::respond_fn& respond,
                     std::string_view listener) {
  auto s = current();
  endpoint* e = s ? find(*s, path, listener) : nullptr;
  if (!e) return false;
  const dialect& d = *e->speaks;
  count(d.name(), &dialect_counters::requests);
  if (auto no = gate(*e, req, path, false)) return respond(d.refused(*no)), true;
  mapped m = d.map(req, path);
  if (!m.refused && !m.answer) m.refused = over_text_limit(*e, req, m.messages);
  if (m.answer) {
    if (m.answer->status >= 400) count(d.name(), &dialect_counters::rejected);
    return respond(std::move(*m.answer)), true;
  }
  if (m.refused) {
    count(d.name(), &dialect_counters::rejected);
    return respond(d.refused(*m.refused)), true;
  }
  if (!target) return respond(d.refused({503, "not_ready", "starting", "1"})), true;
  auto job =
      std::make_shared<publishing>(*this, s, d, req.target, std::move(m.messages),
                                   std::move(target), std::move(executor), std::move(respond));
  job->next();
  return true;
}

std::string gateway::redact(std::string text) const {
  auto s = current();
  if (!s) return text;
  for (const std::string& secret : s->path_secrets)
    for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
      text.replace(at, secret.size(), "<redacted>");
  // A wrong guess may be a near miss of the secret: the last segment of any
  // path under those dialects goes too.
  for (const std::string& prefix : s->secret_paths)
    for (std::size_t at = text.find(prefix); at != std::string::npos;
         at = text.find(prefix, at + 1)) {
      const std::size_t end = text.find_first_of(" ?\"", at);
      const std::size_t last = text.rfind('/', end == std::string::npos ? text.size() : end - 1);
      const std::size_t stop = end == std::string::npos ? text.size() : end;
      if (last + 1 < stop && text.compare(last + 1, stop - last - 1, "<redacted>") != 0)
        text.replace(last + 1, stop - last - 1, "<redacted>");
    }
  return text;
}

bool gateway::serves(const std::string& path, std::string_view listener) const {
  auto s = current();
  return s && find(*s, path, listener);
}

std::optional<http_response> gateway::check_head(const http_request& req, const std::string& path,
                                                 std::string_view listener) {
  auto s = current();
  endpoint* e = s ? find(*s, path, listener) : nullptr;
  if (!e) return std::nullopt;
  if (auto no = gate(*e, req, path, true)) return e->speaks->refused(*no);
  return std::nullopt;
}

std::string gateway::metrics_text() const {
  std::lock_guard lock(mutex_);
  if (counters_.empty()) return {};
  std::string out =
      "# HELP notibus_ingest_requests_total Requests to each ingestion dialect, by outcome.\n"
      "# TYPE notibus_ingest_requests_total counter\n";
  for (const auto& [name, c] : counters_) {
    const std::pair<const char*, std::uint64_t> rows[] = {{"received", c.requests},
                                                          {"rejected", c.rejected},
                                                          {"unauthorized", c.unauthorized},
                                                          {"limited", c.limited},
                                                          {"refused", c.refused}};
    for (const auto& [outcome, n] : rows)
      out += "notibus_ingest_requests_total{dialect=\"" + name + "\",outcome=\"" + outcome +
             "\"} " + std::to_string(n) + "\n";
  }
  out +=
      "# HELP notibus_ingest_messages_total Messages published from each ingestion dialect.\n"
      "# TYPE notibus_ingest_messages_total counter\n";
  for (const auto& [name, c] : counters_)
    out += "notibus_ingest_messages_total{dialect=\"" + name + "\"} " + std::to_string(c.accepted) +
           "\n";
  return out;
}

}  // namespace notibus::serve::ingest
