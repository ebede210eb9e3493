// `callmebot`: WhatsApp, Signal, Telegram and Facebook Messenger through the
// Callmebot HTTPS API (one GET per message). Options and outcomes are in
// README.md beside this file.
#include <notibus/plugin/sdk.hpp>
#include <notibus/plugin/text.hpp>

#include <memory>
#include <optional>
#include <string>

#include "../common/http/client.hpp"
#include "../common/template/message_template.hpp"
#include "outcome.hpp"
#include "services.hpp"

namespace notibus::callmebot {
namespace {

using sdk::option;
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

class callmebot_channel {
 public:
  static std::vector<notibus_option_v1> options() {
    return {
        option("service", NOTIBUS_OPTION_ENUM)
            .one_of("whatsapp|signal|telegram|telegram_group|facebook")
            .required()
            .doc("Which Callmebot API to use."),
        option("phone", NOTIBUS_OPTION_STRING).doc("whatsapp, signal: your number, +34600000000."),
        option("apikey", NOTIBUS_OPTION_STRING)
            .secret()
            .doc("whatsapp, signal, facebook, telegram_group: the key the bot sent you."),
        option("user", NOTIBUS_OPTION_STRING_LIST)
            .doc("telegram: @username or +phone; several get the same message."),
        option("text", NOTIBUS_OPTION_STRING)
            .doc("Text template ({{title}}, {{body}}, ...); default: the title in bold, a newline, "
                 "the body."),
        option("html", NOTIBUS_OPTION_BOOL)
            .doc("telegram, telegram_group: send html=yes|no (default yes, for the bold title)."),
        option("links", NOTIBUS_OPTION_BOOL).doc("telegram: link previews (links=yes|no)."),
        option("max_length", NOTIBUS_OPTION_INT)
            .fallback("2000")
            .range(10, 100000)
            .doc("Longer text is cut at a character boundary with \"…\"."),
        option("base_url", NOTIBUS_OPTION_STRING)
            .fallback("https://api.callmebot.com")
            .doc("The API's address (proxies, tests)."),
        option("ca_file", NOTIBUS_OPTION_STRING).doc("PEM CA bundle (default: the system's)."),
    };
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

  static int validate(sdk::config_view& c) {
    int errors = 0;
    const auto* s = find_service(c.string_or("service", ""));
    if (!s) return 0;  // the enum check reported it
    auto need = [&](bool needed, const char* key, bool present) {
      if (needed && !present) {
        c.error(key, "required for service " + std::string(s->name));
        ++errors;
      } else if (!needed && present) {
        c.error(key, "not used by service " + std::string(s->name));
        ++errors;
      }
    };
    need(s->needs_phone, "phone", c.get_string("phone").has_value());
    need(s->needs_apikey, "apikey", c.get_string("apikey").has_value());
    need(s->needs_user, "user", !c.list("user").empty());
    if (!s->takes_html && c.get_bool("html")) {
      c.error("html", "not used by service " + std::string(s->name));
      ++errors;
    }
    if (!s->takes_links && c.get_bool("links")) {
      c.error("links", "not used by service " + std::string(s->name));
      ++errors;
    }
    std::string error;
    if (auto t = c.get_string("text"); t && !plugins::message_template::parse(*t, error)) {
      c.error("text", error);
      ++errors;
    }
    auto base = http::parse_url(c.string_or("base_url", "https://api.callmebot.com"), error);
    if (!base) {
      c.error("base_url", error);
      ++errors;
    } else if (!base->tls && base->host != "127.0.0.1" && base->host != "localhost") {
      c.error("base_url", "must be https (the apikey travels in it)");
      ++errors;
    }
    return errors;
  }

  explicit callmebot_channel(const sdk::config_view& c)
      : service_(*find_service(c.string_or("service", ""))),
        max_length_(static_cast<std::size_t>(c.get_int("max_length").value_or(2000))) {
    recipient_.phone = c.string_or("phone", "");
    recipient_.apikey = c.string_or("apikey", "");
    for (const auto& u : c.list("user"))
      recipient_.user += (recipient_.user.empty() ? "" : "|") + u;
    recipient_.links = c.get_bool("links");
    if (service_.takes_html) recipient_.html = c.get_bool("html").value_or(true);
    secrets_.add(recipient_.apikey);
    secrets_.add(recipient_.phone);
    const auto escaping =
        recipient_.html.value_or(false) ? plugins::escaping::html : plugins::escaping::none;
    std::string error;
    if (auto t = c.get_string("text"))
      text_ = plugins::message_template::parse(*t, error, escaping);
    body_only_ = *plugins::message_template::parse("{{body}}", error, escaping);
    title_only_ = *plugins::message_template::parse("{{title}}", error, escaping);
    base_ = *http::parse_url(c.string_or("base_url", "https://api.callmebot.com"), error);

    http::client_settings s;
    const milliseconds timeout = c.get_duration("timeout").value_or(milliseconds(30000));
    s.timeouts = {timeout, timeout, timeout, timeout, timeout};
    s.tls.ca_file = c.string_or("ca_file", "");
    s.max_connections = static_cast<std::size_t>(c.get_int("max_inflight").value_or(1));
    client_ = std::make_unique<http::client>(s);
  }

  void send(const sdk::message_view& m, sdk::completion done) {
    bool truncated = false;
    const std::string text = truncate_chars(render(m), max_length_, truncated);
    http::request req;
    req.method = "GET";
    req.url = base_;
    req.url.target =
        build_target(service_, base_.target == "/" ? "" : base_.target, recipient_, text);
    std::string note;
    if (truncated) note = "text truncated to " + std::to_string(max_length_) + " characters";
    // The channel outlives every send until its outcome is reported.
    client_->send(std::move(req), [this, done, note](http::result r) mutable {
      plugins::report(done, classify(r, secrets_), note);
    });
  }

 private:
  std::string render(const sdk::message_view& m) const {
    if (text_) return text_->render(m);
    // Default: the title in bold (as the service writes bold), a newline, the body.
    std::string out = body_only_->render(m);
    if (m.title().empty()) return out;
    const bool html = recipient_.html.value_or(false);
    const bool bold = !service_.bold_open.empty() && (service_.bold_open != "<b>" || html);
    std::string title = title_only_->render(m);
    if (bold) title = std::string(service_.bold_open) + title + std::string(service_.bold_close);
    return title + "\n" + out;
  }

  const service_info& service_;
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
