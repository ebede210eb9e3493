// `email`: messages as mail through an SMTP submission server. Options and
// outcomes are in README.md beside this file.
#include <notibus/plugin/sdk.hpp>
#include <notibus/plugin/text.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "format/document.hpp"
#include "format/message_body.hpp"
#include "format/render.hpp"
#include "mime.hpp"
#include "smtp.hpp"
#include "template/message_template.hpp"

namespace notibus::email {
namespace {

using std::chrono::milliseconds;

bool valid_host(std::string_view h) {
  return !h.empty() && h.find_first_of(" \t\r\n/") == std::string_view::npos;
}

std::optional<plugins::message_template> text_template(std::string_view text, std::string& error) {
  return plugins::message_template::parse(text, error);
}

std::optional<plugins::message_template> html_template(std::string_view text, std::string& error) {
  return plugins::message_template::parse(text, error, plugins::escaping::html);
}

class email_channel {
 public:
  struct config {
    std::string host;
    std::optional<std::int64_t> port;
    tls_mode tls = tls_mode::starttls;
    std::string ca_file;
    std::optional<std::string> username;
    std::optional<std::string> password;
    auth_mode auth = auth_mode::automatic;
    bool allow_plaintext_auth = false;
    std::string from;
    std::vector<std::string> to, cc, bcc, reply_to;
    plugins::message_template subject;  // default: "[{{priority}}] {{title}}"
    plugins::message_template body;     // default: "{{body_text}}"
    std::optional<plugins::message_template> html_body;
    std::string helo_name = "localhost";
    std::optional<milliseconds> connect_timeout, command_timeout, data_timeout;
    std::int64_t max_messages_per_connection = 100;
    milliseconds idle_timeout{30000};
    milliseconds timeout{30000};    // the core's, bounding one attempt
    std::int64_t max_inflight = 1;  // the core's: sessions at once
  };

  static sdk::plugin_defaults defaults() {
    sdk::plugin_defaults d;
    d.max_attachments = 1000;  // the config's attachments.max_count bounds it
    return d;
  }

  static const sdk::schema<config>& schema() {
    static const auto s =
        sdk::schema<config>()
            .field("host", &config::host, "SMTP submission server.", {.required = true})
            .field("port", &config::port, "Default 587 (starttls), 465 (implicit), 25 (none).",
                   {.min = 1, .max = 65535})
            .choice("tls", &config::tls,
                    {{"starttls", tls_mode::starttls},
                     {"implicit", tls_mode::implicit},
                     {"none", tls_mode::none}},
                    "starttls: upgrade or refuse; implicit: TLS from the first byte; none: "
                    "plaintext.")
            .field("ca_file", &config::ca_file, "PEM CA bundle (default: the system's).")
            .field("username", &config::username, "AUTH user; empty: no AUTH.")
            .field("password", &config::password, "AUTH password.", {.secret = true})
            .choice("auth", &config::auth,
                    {{"auto", auth_mode::automatic},
                     {"plain", auth_mode::plain},
                     {"login", auth_mode::login},
                     {"none", auth_mode::none}},
                    "auto: PLAIN if offered, else LOGIN.")
            .field("allow_plaintext_auth", &config::allow_plaintext_auth,
                   "Allow AUTH without TLS (never do this across a network).")
            .field("from", &config::from, "\"Name <addr@example.com>\" or addr.",
                   {.required = true})
            .field("to", &config::to, "Recipients in To.")
            .field("cc", &config::cc, "Recipients in Cc.")
            .field("bcc", &config::bcc, "Recipients in the envelope only.")
            .field("reply_to", &config::reply_to, "Reply-To addresses.")
            .parsed("subject", &config::subject, text_template,
                    "Subject template (placeholders as in the webhook channel).", {},
                    "[{{priority}}] {{title}}")
            .parsed("body", &config::body, text_template,
                    "Plain-text body template ({{body_text}}: a Markdown or HTML body as "
                    "plain text, a text body as written).",
                    {}, "{{body_text}}")
            .parsed("html_body", &config::html_body, html_template,
                    "HTML body template; with it the mail is multipart/alternative. Without it "
                    "a Markdown or HTML message gets an HTML part of its own ({{body_html}}).")
            .field("helo_name", &config::helo_name, "Name given in EHLO.")
            .field("connect_timeout", &config::connect_timeout,
                   "DNS, TCP, TLS and greeting (default: timeout).")
            .field("command_timeout", &config::command_timeout,
                   "Each command's reply (default: timeout).")
            .field("data_timeout", &config::data_timeout, "Sending the message (default: timeout).")
            .field("max_messages_per_connection", &config::max_messages_per_connection,
                   "A session is closed (QUIT) after this many messages.",
                   {.min = 1, .max = 100000})
            .field("idle_timeout", &config::idle_timeout,
                   "An idle session is closed (QUIT) after this long.")
            .from_core("timeout", &config::timeout)
            .from_core("max_inflight", &config::max_inflight);
    return s;
  }

  static void validate(const config& c, sdk::config_view& view) {
    auto report = [&](const char* key, const std::string& message) { view.error(key, message); };
    if (!c.host.empty() && !valid_host(c.host))
      report("host", "not a host name: " + view.shown("host", c.host));
    mailbox m;
    if (!c.from.empty() && !parse_mailbox(c.from, m))
      report("from",
             "not an address (\"Name <addr@example.com>\" or addr@example.com; no CR or LF)");
    const std::pair<const char*, const std::vector<std::string>*> lists[] = {
        {"to", &c.to}, {"cc", &c.cc}, {"bcc", &c.bcc}, {"reply_to", &c.reply_to}};
    for (const auto& [key, list] : lists)
      for (const auto& a : *list)
        if (!parse_mailbox(a, m)) report(key, "not an address: " + view.shown(key, a));
    if (c.to.empty() && c.cc.empty() && c.bcc.empty())
      report("to", "give at least one recipient in to, cc or bcc");
    if (c.username && !c.password) report("password", "required with username");
    if (!valid_host(c.helo_name)) report("helo_name", "not a host name");
  }

  explicit email_channel(const config& c) {
    // Addresses were checked by validate(); one that does not parse is not here.
    parse_mailbox(c.from, mail_.from);
    auto read_list = [&](const std::vector<std::string>& in, std::vector<mailbox>& out,
                         bool envelope) {
      for (const auto& a : in) {
        mailbox m;
        if (!parse_mailbox(a, m)) continue;
        out.push_back(m);
        if (envelope) recipients_.push_back(m.address);
      }
    };
    read_list(c.to, mail_.to, true);
    read_list(c.cc, mail_.cc, true);
    std::vector<mailbox> bcc;
    read_list(c.bcc, bcc, true);  // the envelope only
    read_list(c.reply_to, mail_.reply_to, false);
    subject_ = c.subject;
    body_ = c.body;
    html_ = c.html_body;
    domain_ = mail_.from.address.substr(mail_.from.address.find('@') + 1);
    client_ = std::make_unique<smtp_client>(settings(c));
  }

  void send(const sdk::message_view& m, sdk::completion done) {
    mail mail = mail_;
    mail.subject = subject_.render(m);
    mail.text_body = body_.render(m);
    if (html_)
      mail.html_body = html_->render(m);
    else if (m.format() != "text")
      mail.html_body = html_document(m);
    mail.message_id = std::string(m.id()) + "@" + domain_;
    mail.date_ms = m.created_at_ms();
    for (const auto& f : m.attachments())
      mail.attachments.push_back({std::string(f.name), std::string(f.media_type), f.bytes,
                                  shown_inline(mail.html_body, f)});
    envelope e;
    e.message_id = std::string(m.id());
    e.from = mail_.from.address;
    e.recipients = recipients_;
    e.data = render(mail, m.id());
    client_->send(std::move(e), [done](send_result r) mutable { done.finish(r); });
  }

 private:
  // An image the HTML shows as <img src="cid:NAME"> goes inline (its name as
  // its Content-ID); a name a cid: URL cannot hold never matches.
  static bool shown_inline(const std::string& html, const sdk::message_view::file& f) {
    if (html.empty() || f.media_type.substr(0, 6) != "image/") return false;
    const std::string url = "cid:" + std::string(f.name);
    if (!format::allowed_image_url(url)) return false;
    std::string attribute = "src=\"";
    format::append_escaped(attribute, url, true);  // as the HTML holds it
    return html.find(attribute + "\"") != std::string::npos;
  }

  // The HTML part of a Markdown or HTML message when no html_body is set.
  static std::string html_document(const sdk::message_view& m) {
    format::message_body body(m, format::target::html);
    return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>" + body.as_html() +
           "</body></html>\n";
  }

  static smtp_settings settings(const config& c) {
    smtp_settings s;
    s.host = c.host;
    s.tls = c.tls;
    const char* default_port = c.tls == tls_mode::implicit ? "465"
                               : c.tls == tls_mode::none   ? "25"
                                                           : "587";
    s.port = c.port ? std::to_string(*c.port) : default_port;
    s.tls_files.ca_file = c.ca_file;
    s.username = c.username.value_or("");
    s.password = c.password.value_or("");
    s.auth = c.auth;
    s.allow_plaintext_auth = c.allow_plaintext_auth;
    s.helo_name = c.helo_name;
    s.total = c.timeout;
    s.connect = c.connect_timeout.value_or(c.timeout);
    s.command = c.command_timeout.value_or(c.timeout);
    s.data = c.data_timeout.value_or(c.timeout);
    s.max_connections = static_cast<std::size_t>(c.max_inflight);
    s.max_messages_per_connection = static_cast<std::size_t>(c.max_messages_per_connection);
    s.idle_timeout = c.idle_timeout;
    return s;
  }

  mail mail_;  // the parts every message shares
  std::vector<std::string> recipients_;
  std::string domain_;
  plugins::message_template subject_;
  plugins::message_template body_;
  std::optional<plugins::message_template> html_;
  std::unique_ptr<smtp_client> client_;
};

}  // namespace
}  // namespace notibus::email

NOTIBUS_DEFINE_CHANNEL(email, notibus::email::email_channel,
                       "Mail through an SMTP submission server (STARTTLS or TLS, AUTH, MIME).",
                       "1.0.0")
