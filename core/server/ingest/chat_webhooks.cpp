// Slack- and Discord-compatible incoming webhooks: the secret is the path's
// last segment, as in the URLs those services hand out, so an unchanged
// client (Slack's @slack/webhook, Mattermost's and Rocket.Chat's Slack
// mode, anything that posts to a Discord webhook) only needs the URL.
#include <atomic>
#include <chrono>

#include "json_reading.hpp"
#include "mrkdwn.hpp"

namespace notibus::serve::ingest {
namespace {

void append_paragraph(std::string& body, const std::string& text) {
  if (text.empty()) return;
  if (!body.empty()) body += "\n\n";
  body += text;
}

// Slack's `text`, `blocks` and legacy `attachments`, as Markdown.
class slack final : public dialect {
 public:
  using dialect::dialect;

  auth_result authorized(const http_request&, std::string_view path,
                         std::string_view secret) const override {
    return path_secret(path, secret);
  }
  bool secret_in_path() const override { return true; }

  mapped map(const http_request& req, std::string_view) const override {
    if (req.method != "POST") return mapped::refuse({405, "invalid_method", ""});
    refusal why;
    json_arena arena;
    std::optional<json::object> o;
    const std::string* type = req.header("content-type");
    if (type && media_type(*type) == "application/x-www-form-urlencoded") {
      auto form = form_fields(req.body);
      const std::string* payload = form ? find_field(*form, "payload") : nullptr;
      if (!payload) return mapped::refuse({400, "invalid_payload", ""});
      o = parse_object(*payload, why, arena.storage());
    } else {
      o = parse_object(req.body, why, arena.storage());
    }
    if (!o) return mapped::refuse({400, "invalid_payload", ""});
    message m = base_message();
    m.format = body_format::markdown;
    if (const json::array* blocks = array_of(*o, "blocks")) read_blocks(*blocks, m);
    if (m.body.empty()) m.body = mrkdwn_to_markdown(text_of(*o, "text"));
    if (const json::array* attachments = array_of(*o, "attachments"))
      read_attachments(*attachments, m);
    if (m.body.empty() && m.title.empty()) return mapped::refuse({400, "no_text", ""});
    for (auto [key, attribute] : {std::pair{"username", "slack.username"},
                                  {"icon_emoji", "icon"},
                                  {"icon_url", "icon"},
                                  {"channel", "slack.channel"}})
      if (auto v = text_of(*o, key); !v.empty()) m.attributes[attribute] = v;
    return mapped::publish(std::move(m));
  }

  http_response accepted(std::string_view, const std::vector<message>&,
                         const std::vector<std::string>&) const override {
    return {200, {}, "ok", "text/plain"};
  }

  // Slack answers a word: invalid_payload, no_text, invalid_token, ...
  http_response refused(const refusal& why) const override {
    const std::string word = why.status == 401   ? "invalid_token"
                             : why.status == 413 ? "request_too_large"
                             : why.status == 429 ? "rate_limited"
                             : why.status >= 500 ? "service_unavailable"
                             : why.code.empty() || why.code.find(' ') != std::string::npos
                                 ? "invalid_payload"
                                 : why.code;
    http_response r{why.status == 401 ? 403u : why.status, {}, word, "text/plain"};
    if (!why.retry_after.empty()) r.headers.emplace_back("Retry-After", why.retry_after);
    return r;
  }

 private:
  static std::string block_text(const json::object& text_object) {
    const std::string text = text_of(text_object, "text");
    return text_of(text_object, "type") == "mrkdwn" ? mrkdwn_to_markdown(text) : text;
  }

  static void read_blocks(const json::array& blocks, message& m) {
    for (const auto& b : blocks) {
      if (!b.is_object()) continue;
      const json::object& block = b.as_object();
      const std::string type = text_of(block, "type");
      const json::object* text = object_of(block, "text");
      if (type == "header" && text && m.title.empty())
        m.title = text_of(*text, "text");
      else if (text)
        append_paragraph(m.body, block_text(*text));
      for (const char* list : {"fields", "elements"})
        if (const json::array* items = array_of(block, list))
          for (const auto& item : *items)
            if (item.is_object() && item.as_object().contains("text"))
              append_paragraph(m.body, block_text(item.as_object()));
    }
  }

  static void read_attachments(const json::array& attachments, message& m) {
    for (const auto& a : attachments) {
      if (!a.is_object()) continue;
      const json::object& at = a.as_object();
      append_paragraph(m.body, mrkdwn_to_markdown(text_of(at, "pretext")));
      const std::string title = text_of(at, "title"), link = text_of(at, "title_link");
      if (!title.empty())
        append_paragraph(
            m.body, link.empty() ? "**" + title + "**" : "**[" + title + "](<" + link + ">)**");
      append_paragraph(m.body, mrkdwn_to_markdown(text_of(at, "text")));
      if (const json::array* fields = array_of(at, "fields"))
        for (const auto& f : *fields)
          if (f.is_object())
            append_paragraph(m.body, "**" + text_of(f.as_object(), "title") + "**: " +
                                         mrkdwn_to_markdown(text_of(f.as_object(), "value")));
    }
  }
};

std::string snowflake() {
  static std::atomic<std::uint64_t> sequence{0};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  // Discord's epoch is 2015-01-01; the low 22 bits count within a millisecond.
  return std::to_string((static_cast<std::uint64_t>(ms - 1420070400000LL) << 22) |
                        (sequence++ & 0x3fffff));
}

// Discord's execute-webhook: `content` (Markdown), `username`, `embeds`;
// JSON or multipart with payload_json. 204, or with ?wait=true a message object.
class discord final : public dialect {
 public:
  using dialect::dialect;

  bool serves(std::string_view path) const override {
    if (!dialect::serves(path)) return false;
    const std::string_view rest = path.substr(settings().path.size());
    const std::size_t slash = rest.find('/');
    return slash != std::string_view::npos && slash > 0 && slash + 1 < rest.size() &&
           rest.find('/', slash + 1) == std::string_view::npos;
  }

  auth_result authorized(const http_request&, std::string_view path,
                         std::string_view secret) const override {
    return path_secret(path, secret);
  }
  bool secret_in_path() const override { return true; }

  mapped map(const http_request& req, std::string_view) const override {
    if (req.method != "POST") return mapped::refuse({405, "0", "405: Method Not Allowed"});
    json_arena arena;
    std::vector<attachment> files;
    auto o = payload(req, arena.storage(), files);
    if (!o) return mapped::refuse({400, "50109", "The request body contains invalid JSON."});
    message m = base_message();
    m.attachments = std::move(files);
    m.format = body_format::markdown;
    m.body = text_of(*o, "content");
    if (const json::array* embeds = array_of(*o, "embeds")) read_embeds(*embeds, m);
    if (m.body.empty() && m.title.empty() && m.attachments.empty())
      return mapped::refuse({400, "50006", "Cannot send an empty message"});
    if (auto u = text_of(*o, "username"); !u.empty()) m.attributes["discord.username"] = u;
    if (auto a = text_of(*o, "avatar_url"); !a.empty()) m.attributes["icon"] = a;
    return mapped::publish(std::move(m));
  }

  http_response accepted(std::string_view target, const std::vector<message>& messages,
                         const std::vector<std::string>& ids) const override {
    const fields q = query_fields(target);
    const std::string* wait = find_field(q, "wait");
    if (!wait || *wait != "true") return {204, {}, ""};
    const message& m = messages.front();
    auto name = m.attributes.find("discord.username");
    json::object o{
        {"id", snowflake()},
        {"type", 0},
        {"content", m.body},
        {"channel_id", "0"},
        {"author",
         json::object{{"bot", true},
                      {"id", "1"},
                      {"username", name == m.attributes.end() ? "notibus" : name->second}}},
        {"embeds", json::array{}},
        {"timestamp", ""},
        {"webhook_id", "1"},
        {"notibus_id", ids.front()}};
    return {200, {}, json::serialize(o)};
  }

  bool echoes_messages() const override { return true; }
  bool takes_files() const override { return true; }

  http_response refused(const refusal& why) const override {
    json::object o;
    if (why.status == 429) {
      o = {{"message", "You are being rate limited."}, {"retry_after", 1.0}, {"global", false}};
    } else {
      const bool ours =
          !why.code.empty() && why.code.find_first_not_of("0123456789") == std::string::npos;
      o = {{"message", why.status == 401 ? "Invalid Webhook Token" : why.detail},
           {"code", why.status == 401 ? 50027
                    : ours            ? std::stoi(why.code)
                                      : 0}};
    }
    http_response r{why.status, {}, json::serialize(o)};
    if (!why.retry_after.empty()) r.headers.emplace_back("Retry-After", why.retry_after);
    return r;
  }

 private:
  // The JSON (payload_json in a multipart body, whose file parts, files[n],
  // go into `files`).
  static std::optional<json::object> payload(const http_request& req, json::storage_ptr storage,
                                             std::vector<attachment>& files) {
    refusal why;
    const std::string* type = req.header("content-type");
    if (!type || media_type(*type) != "multipart/form-data")
      return parse_object(req.body, why, storage);
    auto parts = multipart_parts(*type, req.body);
    if (!parts) return std::nullopt;
    json::object out(storage);
    for (const auto& p : *parts) {
      if (p.name == "payload_json") {
        auto o = parse_object(p.data, why, storage);
        if (!o) return std::nullopt;
        for (auto& [k, v] : *o) out[k] = v;
      } else if (!p.filename.empty()) {
        files.push_back(attachment::from_bytes(p.filename, std::string(p.data),
                                               given_media_type(p.content_type)));
      } else {
        out[p.name] = p.data;
      }
    }
    return out;
  }

  static void read_embeds(const json::array& embeds, message& m) {
    for (const auto& e : embeds) {
      if (!e.is_object()) continue;
      const json::object& embed = e.as_object();
      const std::string title = text_of(embed, "title"), url = text_of(embed, "url");
      if (m.title.empty() && m.body.empty())
        m.title = title;
      else if (!title.empty())
        append_paragraph(m.body, "**" + title + "**");
      append_paragraph(m.body, text_of(embed, "description"));
      if (const json::array* fields = array_of(embed, "fields"))
        for (const auto& f : *fields)
          if (f.is_object())
            append_paragraph(m.body, "**" + text_of(f.as_object(), "name") +
                                         "**: " + text_of(f.as_object(), "value"));
      if (!url.empty()) append_paragraph(m.body, url);
      if (const json::object* footer = object_of(embed, "footer"))
        append_paragraph(m.body, text_of(*footer, "text"));
    }
  }
};

}  // namespace

std::unique_ptr<dialect> make_slack(ingest_dialect_settings s) {
  return std::make_unique<slack>(std::move(s));
}

std::unique_ptr<dialect> make_discord(ingest_dialect_settings s) {
  return std::make_unique<discord>(std::move(s));
}

}  // namespace notibus::serve::ingest
