// `webhook`: one HTTP(S) request per message, with a templated body, optional
// Standard Webhooks signatures and keep-alive connections. Options are listed in
// options() and documented in README.md beside this file.
#include <notibus/plugin/sdk.hpp>
#include <notibus/plugin/text.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "../common/http/base64.hpp"
#include "../common/http/client.hpp"
#include "../common/http/header_name.hpp"
#include "../common/http/multipart.hpp"
#include "../common/http/redact.hpp"
#include "../common/http/transport_options.hpp"
#include "../common/template/message_template.hpp"
#include "outcome.hpp"
#include "standard_webhooks.hpp"

namespace notibus::webhook {
namespace {

using std::chrono::milliseconds;

bool is_token(std::string_view name) {  // RFC 9110 field-name
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

bool has_crlf(std::string_view value) {
  return value.find_first_of("\r\n") != std::string_view::npos ||
         value.find('\0') != std::string_view::npos;
}

// Headers the channel sets itself; a config that sets them would be ignored or
// break the request, so it is an error instead.
constexpr std::string_view reserved_headers[] = {
    "host",       "content-length",    "transfer-encoding", "connection",
    "webhook-id", "webhook-timestamp", "webhook-signature"};

// The body template, its placeholders escaped for the configured content type.
std::optional<plugins::message_template> body_template(const std::string& text, std::string& error,
                                                       const sdk::config_view& c) {
  return plugins::message_template::parse(
      text, error,
      plugins::escaping_for_content_type(
          c.get_string("content_type").value_or("application/json")));
}

// A signing secret read once: the signer, and its text for redaction (a
// receiver may quote it back).
struct signing {
  signer sign;
  std::string secret;
  static std::optional<signing> from_secret(const std::string& text, std::string& error) {
    auto s = signer::from_secret(text, error);
    if (!s) return std::nullopt;
    return signing{std::move(*s), text};
  }
};

// How a message's files travel (docs/attachments.md).
enum class attachment_encoding { multipart, json };

// The default JSON object plus "attachments": [{name, type, size, content}]
// in base64 (a copy per request: JSON cannot borrow the bytes).
std::string json_with_attachments(const sdk::message_view& m,
                                  const std::vector<sdk::message_view::file>& files) {
  std::string out = sdk::to_json(m);
  out.pop_back();  // the closing brace
  out += ",\"attachments\":[";
  for (std::size_t i = 0; i < files.size(); ++i) {
    out += i ? ",{\"name\":\"" : "{\"name\":\"";
    out += sdk::json_escape(files[i].name) + "\",\"type\":\"" +
           sdk::json_escape(files[i].media_type) +
           "\",\"size\":" + std::to_string(files[i].bytes.size()) + ",\"content\":\"" +
           http::base64_encode(files[i].bytes) + "\"}";
  }
  return out + "]}";
}

class webhook_channel {
 public:
  struct config {
    http::target_url url;
    std::string method = "POST";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string content_type = "application/json";
    std::optional<plugins::message_template> body;  // escaped for content_type
    std::optional<signing> sign;
    attachment_encoding attachments_as = attachment_encoding::multipart;
    http::transport_config transport;
  };

  static sdk::plugin_defaults defaults() {
    sdk::plugin_defaults d;
    d.max_attachments = 1000;  // the config's attachments.max_count bounds it
    return d;
  }

  static const sdk::schema<config>& schema() {
    static const auto s =
        sdk::schema<config>()
            .parsed("url", &config::url, http::parse_url,
                    "http:// or https:// URL to send to; userinfo and query values are never "
                    "logged.",
                    {.required = true})
            .field("method", &config::method, "HTTP method.",
                   {.values = "POST|PUT|PATCH|GET|DELETE"})
            .field("headers", &config::headers, "Extra request headers.")
            .field("content_type", &config::content_type,
                   "Content-Type of the body; placeholders are escaped for it: JSON (a "
                   "placeholder outside a string becomes a string), form-urlencoded, HTML.")
            .parsed("body", &config::body, body_template,
                    "Body template with {{title}}, {{body}}, {{topic}}, {{priority}}, {{tags}}, "
                    "{{id}}, {{created_at}}, {{attributes.KEY}}; default: a JSON object with "
                    "every field.")
            .parsed("signing.secret", &config::sign, signing::from_secret,
                    "whsec_<base64>: sign requests per Standard Webhooks.", {.secret = true})
            .choice("attachments_as", &config::attachments_as,
                    {{"multipart", attachment_encoding::multipart},
                     {"json", attachment_encoding::json}},
                    "A message with files: multipart/form-data (the body as part \"payload\", "
                    "each file as part \"attachments\") or the default JSON with base64 files.")
            .include(&config::transport, http::transport_schema());
    return s;
  }

  static void validate(const config& c, sdk::config_view& view) {
    auto report = [&](const char* key, const std::string& message) { view.error(key, message); };
    for (const auto& [name, value] : c.headers) {
      if (!is_token(name))
        report("headers", "header name \"" + sdk::json_escape(name) + "\" is not a valid token");
      else if (has_crlf(value))
        report("headers", "header " + name + " contains CR, LF or NUL");
      else if (std::any_of(std::begin(reserved_headers), std::end(reserved_headers),
                           [&](std::string_view r) { return http::equals_nocase(r, name); }))
        report("headers", "header " + name + " is set by the channel itself");
    }
    if (has_crlf(c.content_type)) report("content_type", "contains CR, LF or NUL");
    if (c.attachments_as == attachment_encoding::json && c.body)
      report("attachments_as",
             "json adds the files to the default JSON body; a `body` template "
             "has no place for them (use multipart)");
    http::validate_transport(c.transport, view);
  }

  webhook_channel(const config& c, const sdk::config_view& view)
      : method_(c.method),
        headers_(c.headers),
        content_type_(c.content_type),
        attachments_as_(c.attachments_as),
        follow_redirects_(static_cast<int>(c.transport.follow_redirects)) {
    url_ = c.url;
    // Whatever the request carries may come back quoted in a response body.
    secrets_.add_url(url_);
    for (const auto& [name, value] : headers_) secrets_.add(value);
    if (!url_.userinfo.empty()) headers_.emplace_back("Authorization", basic_auth(url_.userinfo));
    body_ = c.body;
    if (c.sign) {
      signer_ = c.sign->sign;
      secrets_.add(c.sign->secret);
    }
    // Throws for unreadable TLS files.
    client_ = std::make_unique<http::client>(http::transport_settings(c.transport, url_, view));
  }

  void send(const sdk::message_view& m, sdk::completion done) {
    http::request req;
    req.method = method_;
    req.url = url_;
    req.headers = headers_;
    const auto files = m.attachments();
    std::string note;
    if (method_ != "GET" && method_ != "DELETE")
      add_body(m, files, req);
    else if (!files.empty())
      note = std::to_string(files.size()) + " attachment(s) omitted: " + method_ + " has no body";
    if (signer_) sign(m.id(), req);
    // The channel outlives every send until its outcome is reported.
    client_->send(std::move(req), [this, done, note](http::result r) mutable {
      outcome v = classify(r, follow_redirects_, std::chrono::system_clock::now());
      v.error = secrets_.apply(std::move(v.error));
      if (!note.empty()) v.detail += (v.detail.empty() ? "" : "; ") + note;
      done.finish(v);
    });
  }

 private:
  void add_body(const sdk::message_view& m, const std::vector<sdk::message_view::file>& files,
                http::request& req) const {
    if (files.empty() || attachments_as_ == attachment_encoding::json) {
      req.body = files.empty() ? (body_ ? body_->render(m) : sdk::to_json(m))
                               : json_with_attachments(m, files);
      req.headers.emplace_back("Content-Type", content_type_);
      return;
    }
    http::multipart_body parts;
    parts.add_field("payload", body_ ? body_->render(m) : sdk::to_json(m), content_type_);
    for (const auto& f : files) parts.add_file("attachments", f);
    req.headers.emplace_back("Content-Type", parts.content_type());
    parts.finish_into(req);
  }

  void sign(std::string_view id, http::request& req) const {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::vector<std::string_view> body{req.body};
    for (const auto& piece : req.more_body) body.push_back(piece.view());
    req.headers.emplace_back("webhook-id", std::string(id));
    req.headers.emplace_back("webhook-timestamp", std::to_string(now));
    req.headers.emplace_back("webhook-signature", signer_->signature(id, now, body));
  }

  // Userinfo is percent-encoded in a URL; the credentials are the decoded bytes.
  static std::string basic_auth(const std::string& userinfo) {
    return "Basic " + http::base64_encode(sdk::percent_decode(userinfo));
  }

  std::string method_;
  http::target_url url_;
  http::headers headers_;
  std::string content_type_;
  attachment_encoding attachments_as_;
  int follow_redirects_;
  http::redactor secrets_;
  std::optional<plugins::message_template> body_;
  std::optional<signer> signer_;
  std::unique_ptr<http::client> client_;
};

}  // namespace
}  // namespace notibus::webhook

NOTIBUS_DEFINE_CHANNEL(webhook, notibus::webhook::webhook_channel,
                       "HTTP(S) webhooks with templates, Standard Webhooks signing and keep-alive.",
                       "1.0.0")
