// `callmebot`: WhatsApp, Signal, Telegram and Facebook Messenger through the
// Callmebot HTTPS API (one GET per message). Options and outcomes are in
// README.md beside this file.
#include <notibus/plugin/sdk.hpp>
#include <notibus/plugin/text.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../common/http/client.hpp"
#include "../common/template/message_template.hpp"
#include "endpoints.hpp"
#include "outcome.hpp"

namespace notibus::callmebot {
namespace {

using std::chrono::milliseconds;

constexpr const char* ellipsis = "\xE2\x80\xA6";  // …

// Cuts to at most `limit` characters (code points), on a character boundary,
// ending in "…" when anything was cut.
std::string truncate_chars(const std::string& text, std::size_t limit, bool& truncated) {
  std::size_t i = 0, chars = 0;
  std::size_t cut = std::string::npos;
  while (i < text.size()) {
    if (chars == limit - 1) cut = i;  // where the text stops if an ellipsis is needed
    if (chars == limit) break;
    i += std::max<std::size_t>(1, sdk::utf8_sequence_length(text, i));
    ++chars;
  }
  truncated = i < text.size();
  return truncated ? text.substr(0, cut) + ellipsis : text;
}

// Telegram's endpoints take HTML (on unless html: no, for the bold title);
// a template's placeholders are escaped for what the service is sent.
plugins::escaping escaping_for(const endpoint_info& e, std::optional<bool> html) {
  return e.takes_html && html.value_or(true) ? plugins::escaping::html : plugins::escaping::none;
}

std::optional<plugins::message_template> text_template(const std::string& text, std::string& error,
                                                       const sdk::config_view& c) {
  const endpoint_info* e = find_endpoint(c.get_string("service").value_or(""));
  return plugins::message_template::parse(
      text, error, e ? escaping_for(*e, c.get_bool("html")) : plugins::escaping::none);
}

class callmebot_channel {
 public:
  struct config {
    std::string service;
    std::optional<std::string> phone;
    std::optional<std::string> apikey;
    std::vector<std::string> user;
    std::optional<plugins::message_template> text;  // escaped as the service is sent text
    std::optional<bool> html;
    std::optional<bool> links;
    std::int64_t max_length = 2000;
    http::target_url base_url;
    std::string ca_file;
    milliseconds timeout{30000};    // the core's, bounding one attempt
    std::int64_t max_inflight = 1;  // the core's: connections at once
  };

  static const sdk::schema<config>& schema() {
    static const auto s =
        sdk::schema<config>()
            .field("service", &config::service, "Which Callmebot API to use.",
                   {.required = true, .values = "whatsapp|signal|telegram|telegram_group|facebook"})
            .field("phone", &config::phone, "whatsapp, signal: your number, +34600000000.")
            .field("apikey", &config::apikey,
                   "whatsapp, signal, facebook, telegram_group: the key the bot sent you.",
                   {.secret = true})
            .field("user", &config::user,
                   "telegram: @username or +phone; several get the same message.")
            .parsed("text", &config::text, text_template,
                    "Text template ({{title}}, {{body}}, ...); default: the title in bold, a "
                    "newline, the body.")
            .field("html", &config::html,
                   "telegram, telegram_group: send html=yes|no (default yes, for the bold title).")
            .field("links", &config::links, "telegram: link previews (links=yes|no).")
            .field("max_length", &config::max_length,
                   "Longer text is cut at a character boundary with \"…\".",
                   {.min = 10, .max = 100000})
            .parsed("base_url", &config::base_url, http::parse_url,
                    "The API's address (proxies, tests).", {}, "https://api.callmebot.com")
            .field("ca_file", &config::ca_file, "PEM CA bundle (default: the system's).")
            .from_core("timeout", &config::timeout)
            .from_core("max_inflight", &config::max_inflight);
    return s;
  }

  // Callmebot limits senders hard; be gentle unless told otherwise, and wait
  // long before retrying an overloaded service.
  static sdk::plugin_defaults defaults() {
    sdk::plugin_defaults d;
    d.rate_per_second = 0.2;  // one message per 5 s ...
    d.rate_burst = 3;         // ... after a burst of 3
    d.initial_backoff_ms = 60'000;
    d.max_backoff_ms = 30 * 60'000;
    return d;
  }

  static void validate(const config& c, sdk::config_view& view) {
    auto report = [&](const char* key, const std::string& message) { view.error(key, message); };
    const auto* s = find_endpoint(c.service);
    if (!s) return;  // the enum check reported it
    const std::string unused = "not used by service " + std::string(s->name);
    auto need = [&](bool needed, const char* key, bool present) {
      if (needed && !present) report(key, "required for service " + std::string(s->name));
      if (!needed && present) report(key, unused);
    };
    need(s->needs_phone, "phone", c.phone.has_value());
    need(s->needs_apikey, "apikey", c.apikey.has_value());
    need(s->needs_user, "user", !c.user.empty());
    if (!s->takes_html && c.html) report("html", unused);
    if (!s->takes_links && c.links) report("links", unused);
    const http::target_url& base = c.base_url;
    if (!base.host.empty() && !base.tls && base.host != "127.0.0.1" && base.host != "localhost")
      report("base_url", "must be https (the apikey travels in it)");
  }

  explicit callmebot_channel(const config& c)
      : endpoint_(*find_endpoint(c.service)), max_length_(static_cast<std::size_t>(c.max_length)) {
    recipient_.phone = c.phone.value_or("");
    recipient_.apikey = c.apikey.value_or("");
    for (const auto& u : c.user) recipient_.user += (recipient_.user.empty() ? "" : "|") + u;
    recipient_.links = c.links;
    if (endpoint_.takes_html) recipient_.html = c.html.value_or(true);
    secrets_.add(recipient_.apikey);
    secrets_.add(recipient_.phone);
    const auto escaping = escaping_for(endpoint_, c.html);
    text_ = c.text;
    std::string error;  // fixed templates: they parse
    body_only_ = *plugins::message_template::parse("{{body}}", error, escaping);
    title_only_ = *plugins::message_template::parse("{{title}}", error, escaping);
    base_ = c.base_url;

    http::client_settings s;
    s.timeouts = {c.timeout, c.timeout, c.timeout, c.timeout, c.timeout};
    s.tls.ca_file = c.ca_file;
    s.max_connections = static_cast<std::size_t>(c.max_inflight);
    client_ = std::make_unique<http::client>(s);
  }

  void send(const sdk::message_view& m, sdk::completion done) {
    bool truncated = false;
    const std::string text = truncate_chars(render(m), max_length_, truncated);
    http::request req;
    req.method = "GET";
    req.url = base_;
    req.url.target =
        build_target(endpoint_, base_.target == "/" ? "" : base_.target, recipient_, text);
    std::string note;
    if (truncated) note = "text truncated to " + std::to_string(max_length_) + " characters";
    // The channel outlives every send until its outcome is reported.
    client_->send(std::move(req), [this, done, note](http::result r) mutable {
      sdk::outcome v = classify(r, secrets_);
      if (v.is_delivered()) v.detail = note;
      done.finish(v);
    });
  }

 private:
  std::string render(const sdk::message_view& m) const {
    if (text_) return text_->render(m);
    // Default: the title in bold (as the service writes bold), a newline, the body.
    std::string out = body_only_->render(m);
    if (m.title().empty()) return out;
    const bool html = recipient_.html.value_or(false);
    const bool bold = !endpoint_.bold_open.empty() && (endpoint_.bold_open != "<b>" || html);
    std::string title = title_only_->render(m);
    if (bold) title = std::string(endpoint_.bold_open) + title + std::string(endpoint_.bold_close);
    return title + "\n" + out;
  }

  const endpoint_info& endpoint_;
  recipient recipient_;
  std::size_t max_length_;
  std::optional<plugins::message_template> text_, body_only_, title_only_;
  http::redactor secrets_;  // cut out of response text quoted in errors
  http::target_url base_;
  std::unique_ptr<http::client> client_;
};

}  // namespace
}  // namespace notibus::callmebot

NOTIBUS_DEFINE_CHANNEL(callmebot, notibus::callmebot::callmebot_channel,
                       "WhatsApp, Signal, Telegram and Facebook Messenger via Callmebot.", "1.0.0")
