#include "api.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/json.hpp>

#include "attachment_links.hpp"
#include "attachment_request.hpp"
#include "console_api.hpp"
#include "console_assets.hpp"
#include "fetch/fetch_attachments.hpp"
#include "http_framing.hpp"
#include "message_request.hpp"
#include "publish_outcome.hpp"

namespace notibus::serve {
namespace {

namespace json = boost::json;

http_response json_response(unsigned status, const json::value& v) {
  return {status, {}, json::serialize(v)};
}

http_response error(unsigned status, const std::string& code, const std::string& detail,
                    const std::string& field = "") {
  return {status, {}, error_json({status, code, detail, field})};
}

http_response method_not_allowed(const char* allow) {
  http_response r = error(405, "method_not_allowed", std::string("allowed: ") + allow);
  r.headers.emplace_back("Allow", allow);
  return r;
}

// Media types are case-insensitive and may carry parameters (RFC 9110 8.3.1).
std::optional<http_response> unsupported_media_type(const http_request& req) {
  const std::string* type = req.header("content-type");
  const std::string media = type ? media_type(*type) : std::string();
  if (media == "application/json" || media == "multipart/form-data") return std::nullopt;
  return error(415, "unsupported_media_type",
               "send Content-Type: application/json (or multipart/form-data with files)");
}

}  // namespace

void bus_holder::install(std::shared_ptr<bus> next) {
  std::lock_guard lock(mutex_);
  if (next == current_) return;  // installed twice: the one before stays reachable
  previous_ = std::move(current_);
  current_ = std::move(next);
}

std::shared_ptr<bus> bus_holder::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::shared_ptr<bus> bus_holder::previous() const {
  std::lock_guard lock(mutex_);
  return previous_;
}

void api::set_settings(api_settings s) {
  ingestion_.configure(s.ingest, s.auth_token, s.max_body, s.attachments);
  std::lock_guard lock(settings_mutex_);
  max_body_ = s.max_body;
  settings_ = std::move(s);
}

std::optional<http_response> api::refuse_unauthorized(const http_request& req,
                                                      const std::string& path) {
  auth_result result = auth_result::allowed;
  {
    std::lock_guard lock(settings_mutex_);
    const bool is_health = path == "/healthz" || path == "/readyz";
    // A linked file's link carries its own authorization: a signature.
    const bool public_path = (is_health && settings_.health_without_auth) ||
                             (path == "/metrics" && settings_.metrics_without_auth) ||
                             path.starts_with("/v1/attachments/");
    if (!public_path) result = check_bearer(req, settings_.auth_token);
  }
  if (result == auth_result::allowed) return std::nullopt;
  refusals_.note(req, result);
  http_response r = error(401, "unauthorized", "a valid bearer token is required");
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"notibus\"");
  return r;
}

std::optional<http_response> api::check_head(const http_request& req) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (!own_path(path, req.method) && ingestion_.serves(path))
    return ingestion_.check_head(req, path);
  if (path == "/" || path == "/ui" || path.rfind("/ui/", 0) == 0) return std::nullopt;  // public
  if (auto refused = refuse_unauthorized(req, path)) return refused;
  if (path == "/v1/messages" && req.method == "POST")
    if (auto wrong = unsupported_media_type(req)) return wrong;
  return std::nullopt;
}

void api::handle(http_request req, http_server::respond_fn respond) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (!own_path(path, req.method) &&
      ingestion_.handle(req, path, buses_.current(), executor_, respond)) {
    std::lock_guard lock(counters_mutex_);
    ++counters_.requests;
    return;
  }
  if (auto res = route(req))
    respond(std::move(*res));
  else  // the one asynchronous route: answered once the message is accepted
    post_message(std::move(req), std::move(respond));
}

void api::handle_dialect(const std::string& listen, const http_request& req,
                         http_server::respond_fn respond) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  {
    std::lock_guard lock(counters_mutex_);
    ++counters_.requests;
  }
  if (!ingestion_.handle(req, path, buses_.current(), executor_, respond, listen))
    respond(error(404, "not_found", "no such resource"));
}

std::optional<http_response> api::check_dialect_head(const std::string& listen,
                                                     const http_request& req) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  return ingestion_.check_head(req, path, listen);
}

// The API as docs/program.md's table lists it. A path ending in "/" takes
// what follows as `rest`; the first row that matches answers, after its
// methods are checked (an empty list: the answer checks them itself).
struct api::endpoint {
  std::string_view path;
  std::string_view methods;
  std::optional<http_response> (api::*answer)(const http_request& req, const std::string& rest);
};

const api::endpoint api::endpoints[] = {
    {"/v1/messages", "GET, POST", &api::messages},
    {"/v1/messages/", "GET", &api::message_status},
    {"/v1/dead-letters", "GET", &api::dead_letter_list},
    {"/v1/dead-letters/", "", &api::dead_letter_action},  // POST .../retry, DELETE
    {"/v1/attachments/", "GET, HEAD", &api::linked_file},
    {"/v1/channels", "GET", &api::channels},
    {"/v1/config", "GET", &api::configuration},
    {"/healthz", "GET, HEAD", &api::health},
    {"/readyz", "GET, HEAD", &api::readiness},
    {"/metrics", "GET, HEAD", &api::metrics},
};

namespace {

bool allows(std::string_view methods, std::string_view method) {
  for (std::size_t at = 0; at < methods.size();) {
    const std::size_t comma = methods.find(", ", at);
    if (methods.substr(at, comma - at) == method) return true;
    if (comma == std::string_view::npos) break;
    at = comma + 2;
  }
  return false;
}

bool is_console_path(const std::string& path, const std::string& method) {
  if (path == "/") return method == "GET" || method == "HEAD";  // POST / may be ntfy's
  return path == "/ui" || path.starts_with("/ui/");
}

}  // namespace

bool api::own_path(const std::string& path, const std::string& method) {
  if (is_console_path(path, method)) return true;
  for (const endpoint& e : endpoints)
    if (e.path.back() == '/' ? path.starts_with(e.path) : path == e.path) return true;
  return false;
}

std::optional<http_response> api::route(const http_request& req) {
  {
    std::lock_guard lock(counters_mutex_);
    ++counters_.requests;
  }
  const std::string path = req.target.substr(0, req.target.find('?'));
  // The console's page and files: public (they hold no secret; the page asks
  // for the token, and every API call it makes needs it).
  if (path == "/" || path == "/ui" || path.rfind("/ui/", 0) == 0) return console(req, path);
  if (auto refused = refuse_unauthorized(req, path)) return refused;
  for (const endpoint& e : endpoints) {
    const bool takes_rest = e.path.back() == '/';
    if (takes_rest ? !path.starts_with(e.path) : path != e.path) continue;
    if (!e.methods.empty() && !allows(e.methods, req.method))
      return method_not_allowed(std::string(e.methods).c_str());
    return (this->*e.answer)(req, takes_rest ? path.substr(e.path.size()) : std::string());
  }
  return error(404, "not_found", "no such resource");
}

std::optional<http_response> api::console(const http_request& req, const std::string& path) {
  if (req.method != "GET" && req.method != "HEAD") return method_not_allowed("GET, HEAD");
  if (path == "/") {
    http_response r{302, {}, {}, "text/plain"};
    r.headers.emplace_back("Location", "/ui/");
    return r;
  }
  if (auto asset = console_asset(path)) return asset;
  return error(404, "not_found", "no such file");
}

// GET lists; POST is the one asynchronous answer (nullopt: post_message).
std::optional<http_response> api::messages(const http_request& req, const std::string&) {
  if (req.method == "POST") return std::nullopt;
  auto b = buses_.current();
  if (!b) return error(503, "not_ready", "starting");
  return list_messages(*b, req.target);
}

std::optional<http_response> api::message_status(const http_request&, const std::string& id) {
  return get_message(id);
}

std::optional<http_response> api::dead_letter_list(const http_request& req, const std::string&) {
  return list_dead_letters(buses_.current().get(), req.target);
}

std::optional<http_response> api::dead_letter_action(const http_request& req,
                                                     const std::string& rest) {
  return dead_letter(req, rest);
}

std::optional<http_response> api::linked_file(const http_request& req, const std::string& rest) {
  return linked_file_response(buses_.current().get(), req.target, rest);
}

std::optional<http_response> api::channels(const http_request&, const std::string&) {
  return get_channels();
}

std::optional<http_response> api::configuration(const http_request&, const std::string&) {
  auto b = buses_.current();
  if (!b) return error(503, "not_ready", "starting");
  return json_response(200, config_json(*b));
}

std::optional<http_response> api::health(const http_request&, const std::string&) {
  return json_response(200, json::object{{"status", "ok"}});
}

std::optional<http_response> api::readiness(const http_request&, const std::string&) {
  return ready_ ? json_response(200, json::object{{"status", "ready"}})
                : error(503, "not_ready", "starting or stopping");
}

std::optional<http_response> api::metrics(const http_request&, const std::string&) {
  return get_metrics();
}

std::optional<request_error> api::read_message(http_request req, message& m) const {
  const std::string& type = *req.header("content-type");  // JSON or multipart: checked before
  const bool multipart = media_type(type) == "multipart/form-data";
  const std::size_t body_size = req.body.size();
  auto problem = multipart ? parse_multipart_message(
                                 type, std::make_shared<const std::string>(std::move(req.body)), m)
                           : parse_message_request(req.body, m);
  const std::size_t max_body = max_body_.load(std::memory_order_relaxed);
  if (problem || body_size <= max_body) return problem;
  // Only the files may take a body past max_body: its text stays within it.
  std::size_t file_bytes = 0;
  for (const attachment& a : m.attachments)
    file_bytes += multipart ? a.size() : (a.size() + 2) / 3 * 4;
  if (body_size > max_body + file_bytes)
    return request_error{413, "body_too_large",
                         "the body is larger than server.max_body (" + std::to_string(max_body) +
                             " bytes) besides its attachments",
                         ""};
  return std::nullopt;
}

void api::post_message(http_request req, http_server::respond_fn respond) {
  if (auto wrong = unsupported_media_type(req)) return reject(std::move(*wrong), respond);
  message m;
  if (auto e = read_message(std::move(req), m))
    return reject({e->status, {}, error_json(*e)}, respond);
  if (!has_url_attachments(m)) return publish_checked(std::move(m), std::move(respond));
  attachment_settings fetching;
  {
    std::lock_guard lock(settings_mutex_);
    fetching = settings_.attachments;
  }
  fetch_attachments(executor_, std::move(m), fetching,
                    [this, respond](std::optional<request_error> e, message fetched) mutable {
                      if (e) return reject({e->status, {}, error_json(*e)}, respond);
                      publish_checked(std::move(fetched), std::move(respond));
                    });
}

void api::reject(http_response r, const http_server::respond_fn& respond) {
  {
    std::lock_guard lock(counters_mutex_);
    ++counters_.rejected;
  }
  respond(std::move(r));
}

void api::publish_checked(message m, http_server::respond_fn respond) {
  if (!m.attachments.empty()) {
    std::optional<request_error> over;
    {
      std::lock_guard lock(settings_mutex_);
      over = check_attachment_limits(m, settings_.attachments);
    }
    if (over) return reject({over->status, {}, error_json(*over)}, respond);
  }
  auto b = buses_.current();
  if (!b) return respond(error(503, "not_ready", "starting"));
  b->async_try_publish(std::move(m), boost::asio::bind_executor(
                                         executor_, [this, respond](error_code, publish_result r) {
                                           respond(accepted_response(r));
                                         }));
}

http_response api::accepted_response(const publish_result& r) {
  if (auto p = problem_of(r)) {
    {
      std::lock_guard lock(counters_mutex_);
      if (p->temporary)
        ++counters_.refused;
      else if (p->status < 500)
        ++counters_.rejected;
    }
    http_response res = error(p->status, p->code, p->detail, p->field);
    if (!p->retry_after.empty()) res.headers.emplace_back("Retry-After", p->retry_after);
    return res;
  }
  {
    std::lock_guard lock(counters_mutex_);
    ++counters_.accepted;
  }
  if (r.duplicate) return json_response(200, json::object{{"id", r.id}, {"duplicate", true}});
  return json_response(202, json::object{{"id", r.id}});
}

// POST /v1/dead-letters/{id}/retry, DELETE /v1/dead-letters/{id}. Each waits
// for one spool write; these are rare operator actions.
http_response api::dead_letter(const http_request& req, const std::string& rest) {
  const bool retry = rest.size() > 6 && rest.compare(rest.size() - 6, 6, "/retry") == 0;
  const std::string id = retry ? rest.substr(0, rest.size() - 6) : rest;
  if (id.empty() || id.find('/') != std::string::npos)
    return error(404, "not_found", "no such resource");
  if (retry && req.method != "POST") return method_not_allowed("POST");
  if (!retry && req.method != "DELETE") return method_not_allowed("DELETE");
  auto b = buses_.current();
  if (!b) return error(503, "not_ready", "starting");
  const auto missing = [] { return error(404, "not_found", "no dead letter with this id"); };
  if (!retry) return b->purge_dead_letter(id) ? http_response{204, {}, ""} : missing();
  const auto r = b->retry_dead_letter(id);
  if (!r) return missing();
  if (r->error) return accepted_response(*r);
  return json_response(202, json::object{{"id", r->id}, {"retry_of", id}});
}

http_response api::get_message(const std::string& id) {
  for (const auto& b : {buses_.current(), buses_.previous()})
    if (b)
      if (auto report = b->status(id)) return json_response(200, report_json(*report));
  return error(404, "not_found", "no message with this id (or it is older than status.retention)");
}

http_response api::get_channels() {
  if (auto b = buses_.current()) return json_response(200, channels_json(*b));
  return json_response(200, json::object{{"channels", json::array{}}});
}

http_response api::get_metrics() {
  server_counters snapshot;
  {
    std::lock_guard lock(counters_mutex_);
    snapshot = counters_;
  }
  snapshot.reloads = reloads_.load();
  snapshot.reload_failures = reload_failures_.load();
  std::vector<channel_stats> stats;
  std::optional<spool_stats> spool;
  std::optional<queue_stats> queue;
  if (auto b = buses_.current()) {
    stats = b->stats();
    spool = b->spool_stats();
    queue = b->queue_stats();
  }
  http_response r{
      200, {}, render_metrics(stats, snapshot, spool, queue) + ingestion_.metrics_text()};
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

}  // namespace notibus::serve
