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

class webhook_channel {
 public:
  struct config {
    http::target_url url;
    std::string method = "POST";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string content_type = "application/json";
    std::optional<plugins::message_template> body;  // escaped for content_type
    std::optional<signing> sign;
    http::transport_config transport;
  };

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
    http::validate_transport(c.transport, view);
  }

  webhook_channel(const config& c, const sdk::config_view& view)
      : method_(c.method),
        headers_(c.headers),
        content_type_(c.content_type),
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
    if (method_ != "GET" && method_ != "DELETE") {
      req.body = body_ ? body_->render(m) : sdk::to_json(m);
      req.headers.emplace_back("Content-Type", content_type_);
    }
    if (signer_) {
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      req.headers.emplace_back("webhook-id", std::string(m.id()));
      req.headers.emplace_back("webhook-timestamp", std::to_string(now));
      req.headers.emplace_back("webhook-signature", signer_->signature(m.id(), now, req.body));
    }
    // The channel outlives every send until its outcome is reported.
    client_->send(std::move(req), [this, done](http::result r) mutable {
      outcome v = classify(r, follow_redirects_, std::chrono::system_clock::now());
      v.error = secrets_.apply(std::move(v.error));
      done.finish(v);
    });
  }

 private:
  // Userinfo is percent-encoded in a URL; the credentials are the decoded bytes.
  static std::string basic_auth(const std::string& userinfo) {
    return "Basic " + http::base64_encode(sdk::percent_decode(userinfo));
  }

  std::string method_;
  http::target_url url_;
  http::headers headers_;
  std::string content_type_;
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
