// Gotify's POST /message (gotify.net/api-docs): JSON, form or query fields
// message, title, priority (0-10) and extras; the application token as
// X-Gotify-Key, ?token= or Bearer. Answers Gotify's message object; errors as
// {"error", "errorCode", "errorDescription"}.
#include <atomic>
#include <chrono>

#include "json_reading.hpp"

namespace notibus::serve::ingest {
namespace {

// Gotify's clients treat 0 as silent, 1-3 quiet, 4-7 with sound, 8-10 as a
// popup: the nearest of notibus's five.
priority gotify_priority(long long p) {
  if (p <= 0) return priority::min;
  if (p <= 3) return priority::low;
  if (p <= 7) return priority::normal;
  if (p <= 9) return priority::high;
  return priority::urgent;
}

int gotify_number(priority p) {
  return p == priority::min      ? 0
         : p == priority::low    ? 2
         : p == priority::high   ? 8
         : p == priority::urgent ? 10
                                 : 5;
}

const char* reason_phrase(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Request Entity Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

class gotify final : public dialect {
 public:
  using dialect::dialect;

  auth_result authorized(const http_request& req, std::string_view path,
                         std::string_view secret) const override {
    return check_secret(offered_secret(req, {"hqbp", "token", "x-gotify-key"}), secret);
  }

  mapped map(const http_request& req, std::string_view) const override {
    if (req.method != "POST") return refuse({405, "", "use POST /message"});
    json_arena arena;
    json::object fields_in(arena.storage());
    if (auto no = read_all_fields(req, fields_in)) return refuse(*no);
    message m = base_message();
    m.body = text_of(fields_in, "message");
    m.title = text_of(fields_in, "title");
    if (m.body.empty()) return refuse(bad_request("", "Field 'message' is required"));
    if (const json::value* p = fields_in.if_contains("priority")) {
      const std::string text = text_of(fields_in, "priority");
      char* end = nullptr;
      const long long n = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end || p->is_double())
        return refuse(bad_request("", "Field 'priority' is not an integer"));
      m.priority = gotify_priority(n);
    }
    if (const json::object* extras = object_of(fields_in, "extras")) read_extras(*extras, m);
    return mapped::publish(std::move(m));
  }

  http_response accepted(std::string_view, const std::vector<message>& messages,
                         const std::vector<std::string>& ids) const override {
    const message& m = messages.front();
    static std::atomic<std::int64_t> counter{0};
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    json_answer extras;
    extras.object("notibus::message", json_answer().text("id", ids.front()));
    if (m.format == body_format::markdown)
      extras.object("client::display", json_answer().text("contentType", "text/markdown"));
    return {200,
            {},
            json_answer()
                .number("id", ++counter)
                .number("appid", 1)
                .text("message", m.body)
                .text("title", m.title)
                .number("priority", gotify_number(m.priority))
                .text("date", sdk::format_rfc3339_utc(now.count()))
                .object("extras", extras)
                .done()};
  }

  bool echoes_messages() const override { return true; }

  http_response refused(const refusal& why) const override {
    const std::string description =
        why.status == 401 ? "you need to provide a valid access token or user credentials to "
                            "access this api"
                          : why.detail;
    json::object o{{"error", reason_phrase(why.status)},
                   {"errorCode", why.status},
                   {"errorDescription", description}};
    http_response r{why.status, {}, json::serialize(o)};
    if (!why.retry_after.empty()) r.headers.emplace_back("Retry-After", why.retry_after);
    return r;
  }

 private:
  mapped refuse(const refusal& why) const {
    mapped m;
    m.answer = refused(why);
    return m;
  }

  // JSON, a form or the query: Gotify binds all three to the same fields.
  static std::optional<refusal> read_all_fields(const http_request& req, json::object& out) {
    if (auto no = read_fields(req, out)) return no;
    for (const auto& [k, v] : query_fields(req.target))
      if (k != "token" && !out.contains(k)) out[k] = v;
    return std::nullopt;
  }

  static void read_extras(const json::object& extras, message& m) {
    if (const json::object* display = object_of(extras, "client::display"))
      if (text_of(*display, "contentType") == "text/markdown") m.format = body_format::markdown;
    if (const json::object* notification = object_of(extras, "client::notification"))
      if (const json::object* click = object_of(*notification, "click"))
        if (auto url = text_of(*click, "url"); !url.empty()) m.attributes["click"] = url;
  }
};

}  // namespace

std::unique_ptr<dialect> make_gotify(ingest_dialect_settings s) {
  return std::make_unique<gotify>(std::move(s));
}

}  // namespace notibus::serve::ingest
