// ntfy's publish API (docs.ntfy.sh/publish): PUT/POST /<topic> with the body
// as the message (or as a file: with a file name, or when it is not UTF-8
// text) and X- headers (or their query aliases), GET
// /<topic>/publish?message=..., and POST / with a JSON object; X-Attach is a
// URL attachment. Answers ntfy's message JSON, errors as {"code", "http",
// "error"}.
#include <chrono>

#include "json_reading.hpp"

namespace notibus::serve::ingest {
namespace {

bool is_topic(std::string_view t) {
  return !t.empty() && t.size() <= 64 &&
         t.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") ==
             std::string_view::npos;
}

// ntfy's priorities: 1..5 or their names; "default" (3) is normal.
std::optional<priority> ntfy_priority(std::string_view p) {
  static const std::pair<std::string_view, priority> names[] = {
      {"1", priority::min},      {"min", priority::min},      {"2", priority::low},
      {"low", priority::low},    {"3", priority::normal},     {"default", priority::normal},
      {"4", priority::high},     {"high", priority::high},    {"5", priority::urgent},
      {"max", priority::urgent}, {"urgent", priority::urgent}};
  for (const auto& [name, value] : names)
    if (name == p) return value;
  return std::nullopt;
}

int ntfy_number(priority p) {
  return p == priority::min      ? 1
         : p == priority::low    ? 2
         : p == priority::high   ? 4
         : p == priority::urgent ? 5
                                 : 3;
}

bool is_yes(std::string_view v) {
  return v == "1" || v == "yes" || v == "true";
}

std::vector<std::string> comma_list(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t comma = text.find(',', at);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(at, comma - at);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    at = comma + 1;
  }
  return out;
}

class ntfy final : public dialect {
 public:
  using dialect::dialect;

  bool serves(std::string_view path) const override {
    const std::string& own = settings().path;
    if (!path.starts_with(own)) return false;
    std::string_view rest = path.substr(own.size());
    if (!own.ends_with('/')) {
      if (!rest.starts_with('/') && !rest.empty()) return false;
      if (!rest.empty()) rest.remove_prefix(1);
    }
    if (rest.empty()) return true;  // POST with JSON
    const std::size_t slash = rest.find('/');
    const std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    return is_topic(rest.substr(0, slash)) &&
           (slash == std::string_view::npos || action == "publish" || action == "send" ||
            action == "trigger");
  }

  // Basic (the token as password), Bearer, or ?auth= holding either header
  // value in base64, as ntfy's clients send them.
  auth_result authorized(const http_request& req, std::string_view path,
                         std::string_view secret) const override {
    const fields q = query_fields(req.target);
    const std::string* auth = find_field(q, "auth");
    if (!auth) return dialect::authorized(req, path, secret);
    const auto header = decode_base64(*auth);
    if (!header) return auth_result::wrong_token;
    http_request synthetic;
    synthetic.headers.emplace_back("authorization", *header);
    return dialect::authorized(synthetic, path, secret);
  }

  mapped map(const http_request& req, std::string_view path) const override {
    std::string_view rest = path.substr(settings().path.size());
    if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    if (rest.empty()) {
      if (req.method != "POST" && req.method != "PUT")
        return refuse(405, 40501, "method not allowed");
      return from_json(req);
    }
    const std::size_t slash = rest.find('/');
    const bool action = slash != std::string_view::npos;
    if (!action && req.method != "POST" && req.method != "PUT")
      return refuse(405, 40501, "publish with PUT or POST, or GET /<topic>/publish");
    if (action && req.method != "GET" && req.method != "POST" && req.method != "PUT")
      return refuse(405, 40501, "method not allowed");
    return from_headers(req, std::string(rest.substr(0, slash)));
  }

  http_response accepted(std::string_view, const std::vector<message>& messages,
                         const std::vector<std::string>& ids) const override {
    const message& m = messages.front();
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    json_answer o;
    o.text("id", ids.front())
        .number("time", now)
        .number("expires", now + 12 * 3600)
        .text("event", "message")
        .text("topic", topic_of(m))
        .text("message", m.body);
    if (!m.title.empty()) o.text("title", m.title);
    if (m.priority != priority::normal) o.number("priority", ntfy_number(m.priority));
    std::vector<std::string> tags = m.tags;
    std::erase_if(tags, [&](const std::string& t) {
      return std::find(settings().tags.begin(), settings().tags.end(), t) != settings().tags.end();
    });
    if (!tags.empty()) o.texts("tags", tags);
    for (const char* key : {"click", "icon"})
      if (auto it = m.attributes.find(key); it != m.attributes.end()) o.text(key, it->second);
    if (m.format == body_format::markdown) o.text("content_type", "text/markdown");
    if (!m.attachments.empty()) {
      const attachment& a = m.attachments.front();
      json_answer file;
      file.text("name", a.name);
      if (!a.media_type.empty()) file.text("type", a.media_type);
      file.number("size", static_cast<std::int64_t>(a.size()));
      if (!a.url.empty()) file.text("url", a.url);
      o.object("attachment", file);
    }
    return {200, {}, o.done()};
  }

  bool echoes_messages() const override { return true; }
  bool takes_files() const override { return true; }

  http_response refused(const refusal& why) const override {
    const int code = why.status == 401   ? 40101
                     : why.status == 413 ? 41301
                     : why.status == 429 ? 42901
                                         : static_cast<int>(why.status) * 100;
    http_response r{why.status, {}, error_body(code, why.status, why.detail)};
    if (!why.retry_after.empty()) r.headers.emplace_back("Retry-After", why.retry_after);
    return r;
  }

 private:
  static std::string error_body(int code, unsigned status, const std::string& error) {
    return json::serialize(json::object{{"code", code},
                                        {"http", status},
                                        {"error", error},
                                        {"link", "https://docs.ntfy.sh/publish/"}});
  }
  static mapped refuse(unsigned status, int code, std::string error) {
    mapped m;
    m.answer = http_response{status, {}, error_body(code, status, error)};
    return m;
  }

  std::string topic_of(const message& m) const {
    auto it = m.attributes.find("ntfy.topic");
    return it != m.attributes.end() ? it->second : m.topic;
  }

  // The first of the header names, then the query aliases, RFC 2047 decoded.
  static std::string param(const http_request& req, const fields& query,
                           std::initializer_list<std::string_view> names) {
    for (std::string_view n : names)
      if (const std::string* v = req.header(n)) return decode_rfc2047(*v);
    for (std::string_view n : names) {
      std::string_view alias = n.starts_with("x-") ? n.substr(2) : n;
      if (const std::string* v = find_field(query, alias)) return *v;
    }
    return {};
  }

  mapped from_headers(const http_request& req, const std::string& topic) const;
  mapped from_json(const http_request& req) const;
  std::optional<mapped> apply(message& m, std::string_view prio, std::string_view tags,
                              bool markdown, std::string_view delay) const;
  static std::optional<mapped> attach_url(message& m, const std::string& url,
                                          const std::string& filename);
  message start(const std::string& topic) const {
    message m = base_message();
    if (m.topic.empty()) m.topic = topic;
    m.attributes["ntfy.topic"] = topic;
    return m;
  }
};

// What both request forms share: priority, tags, Markdown, and what ntfy can
// do that notibus cannot yet (delays), refused plainly.
std::optional<mapped> ntfy::apply(message& m, std::string_view prio, std::string_view tags,
                                  bool markdown, std::string_view delay) const {
  if (!prio.empty()) {
    auto p = ntfy_priority(prio);
    if (!p)
      return refuse(400, 40007,
                    "invalid priority: expected 1-5 or min, low, default, high, max, urgent");
    m.priority = *p;
  }
  for (auto& t : comma_list(tags)) m.tags.push_back(std::move(t));
  if (m.tags.size() > 64) return refuse(400, 40001, "at most 64 tags");
  if (markdown) m.format = body_format::markdown;
  if (!delay.empty())
    return refuse(400, 40004, "delayed messages are not supported by this server");
  return std::nullopt;
}

// X-Attach: a file by URL, fetched (under the address guard) before the
// message is accepted; the URL stays in the attribute `attach` too.
std::optional<mapped> ntfy::attach_url(message& m, const std::string& url,
                                       const std::string& filename) {
  if (url.empty()) return std::nullopt;
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    return refuse(400, 40013, "invalid attachment URL: expected http(s)");
  if (!m.attachments.empty())
    return refuse(400, 40013, "give a file in the body or X-Attach, not both");
  attachment a;
  a.url = url;
  a.name = filename;
  m.attachments.push_back(std::move(a));
  m.attributes["attach"] = url;
  return std::nullopt;
}

mapped ntfy::from_headers(const http_request& req, const std::string& topic) const {
  const fields q = query_fields(req.target);
  message m = start(topic);
  m.title = param(req, q, {"x-title", "title", "ti", "t"});
  const std::string filename = param(req, q, {"x-filename", "filename", "file", "f"});
  const std::string attach = param(req, q, {"x-attach", "attach", "a"});
  // As ntfy: without X-Attach, a body with a file name, or one that is not
  // text, is a file; the message is then X-Message, or says a file came.
  std::string body = req.body;
  const bool upload =
      !body.empty() && (!sdk::is_valid_utf8(body) || (!filename.empty() && attach.empty()));
  if (upload) {
    const std::string name = filename.empty() ? "attachment" : filename;
    m.attachments.push_back(attachment::from_bytes(name, std::move(body)));
    body = param(req, q, {"x-message", "message", "m"});
    if (body.empty()) body = "You received a file: " + name;
  } else if (body.empty()) {
    body = param(req, q, {"x-message", "message", "m"});
  }
  if (!sdk::is_valid_utf8(body)) return refuse(400, 40001, "the message is not UTF-8 text");
  m.body = body.empty() ? "triggered" : body;
  if (auto no = apply(m, param(req, q, {"x-priority", "priority", "prio", "p"}),
                      param(req, q, {"x-tags", "tags", "tag", "ta"}),
                      is_yes(param(req, q, {"x-markdown", "markdown", "md"})),
                      param(req, q, {"x-delay", "delay", "x-at", "at", "x-in", "in"})))
    return std::move(*no);
  if (auto no = attach_url(m, attach, upload ? "" : filename)) return std::move(*no);
  const auto keep = [&](const char* key, std::initializer_list<std::string_view> names) {
    if (auto v = param(req, q, names); !v.empty()) m.attributes[key] = v;
  };
  keep("click", {"x-click", "click"});
  keep("icon", {"x-icon", "icon"});
  return mapped::publish(std::move(m));
}

mapped ntfy::from_json(const http_request& req) const {
  refusal why;
  json_arena arena;
  auto o = parse_object(req.body, why, arena.storage());
  if (!o) return refuse(400, 40001, why.detail);
  const std::string topic = text_of(*o, "topic");
  if (!is_topic(topic)) return refuse(400, 40009, "invalid or missing topic");
  message m = start(topic);
  m.title = text_of(*o, "title");
  m.body = text_of(*o, "message");
  if (m.body.empty()) m.body = "triggered";
  std::string tags;
  if (const json::array* a = array_of(*o, "tags"))
    for (const auto& t : *a)
      if (t.is_string()) tags += std::string(t.as_string()) + ",";
  const json::value* md = o->if_contains("markdown");
  if (auto no = apply(m, text_of(*o, "priority"), tags, md && md->is_bool() && md->as_bool(),
                      text_of(*o, "delay")))
    return std::move(*no);
  if (auto no = attach_url(m, text_of(*o, "attach"), text_of(*o, "filename")))
    return std::move(*no);
  for (const char* key : {"click", "icon"})
    if (auto v = text_of(*o, key); !v.empty()) m.attributes[key] = v;
  return mapped::publish(std::move(m));
}

}  // namespace

std::unique_ptr<dialect> make_ntfy(ingest_dialect_settings s) {
  return std::make_unique<ntfy>(std::move(s));
}

}  // namespace notibus::serve::ingest
