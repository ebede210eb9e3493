// `email`: messages as mail through an SMTP submission server. Options and
// outcomes are in README.md beside this file.
#include <notibus/plugin/sdk.hpp>
#include <notibus/plugin/text.hpp>

#include <memory>
#include <optional>
#include <string>

#include "mime.hpp"
#include "smtp.hpp"
#include "template/message_template.hpp"
#include "verdict.hpp"

namespace notibus::email {
namespace {

using sdk::option;
using std::chrono::milliseconds;

bool valid_host(std::string_view h) {
  return !h.empty() && h.find_first_of(" \t\r\n/") == std::string_view::npos;
}

class email_channel {
 public:
  static std::vector<notibus_option_v1> options() {
    return {
        option("host", NOTIBUS_OPTION_STRING).required().doc("SMTP submission server."),
        option("port", NOTIBUS_OPTION_INT)
            .range(1, 65535)
            .doc("Default 587 (starttls), 465 (implicit), 25 (none)."),
        option("tls", NOTIBUS_OPTION_ENUM)
            .one_of("starttls|implicit|none")
            .fallback("starttls")
            .doc(
                "starttls: upgrade or refuse; implicit: TLS from the first byte; none: plaintext."),
        option("ca_file", NOTIBUS_OPTION_STRING).doc("PEM CA bundle (default: the system's)."),
        option("username", NOTIBUS_OPTION_STRING).doc("AUTH user; empty: no AUTH."),
        option("password", NOTIBUS_OPTION_STRING).secret().doc("AUTH password."),
        option("auth", NOTIBUS_OPTION_ENUM)
            .one_of("auto|plain|login|none")
            .fallback("auto")
            .doc("auto: PLAIN if offered, else LOGIN."),
        option("allow_plaintext_auth", NOTIBUS_OPTION_BOOL)
            .fallback("false")
            .doc("Allow AUTH without TLS (never do this across a network)."),
        option("from", NOTIBUS_OPTION_STRING)
            .required()
            .doc("\"Name <addr@example.com>\" or addr."),
        option("to", NOTIBUS_OPTION_STRING_LIST).doc("Recipients in To."),
        option("cc", NOTIBUS_OPTION_STRING_LIST).doc("Recipients in Cc."),
        option("bcc", NOTIBUS_OPTION_STRING_LIST).doc("Recipients in the envelope only."),
        option("reply_to", NOTIBUS_OPTION_STRING_LIST).doc("Reply-To addresses."),
        option("subject", NOTIBUS_OPTION_STRING)
            .fallback("[{{priority}}] {{title}}")
            .doc("Subject template (placeholders as in the webhook channel)."),
        option("body", NOTIBUS_OPTION_STRING).fallback("{{body}}").doc("Plain-text body template."),
        option("html_body", NOTIBUS_OPTION_STRING)
            .doc("HTML body template; with it the mail is multipart/alternative."),
        option("helo_name", NOTIBUS_OPTION_STRING).fallback("localhost").doc("Name given in EHLO."),
        option("connect_timeout", NOTIBUS_OPTION_DURATION)
            .doc("DNS, TCP, TLS and greeting (default: timeout)."),
        option("command_timeout", NOTIBUS_OPTION_DURATION)
            .doc("Each command's reply (default: timeout)."),
        option("data_timeout", NOTIBUS_OPTION_DURATION)
            .doc("Sending the message (default: timeout)."),
        option("max_messages_per_connection", NOTIBUS_OPTION_INT)
            .fallback("100")
            .range(1, 100000)
            .doc("A session is closed (QUIT) after this many messages."),
        option("idle_timeout", NOTIBUS_OPTION_DURATION)
            .fallback("30s")
            .doc("An idle session is closed (QUIT) after this long."),
    };
  }

  static int validate(sdk::config_view& c) {
    int errors = 0;
    auto report = [&](const char* key, const std::string& message) {
      c.error(key, message);
      ++errors;
    };
    if (auto h = c.get_string("host"); h && !valid_host(*h))
      report("host", "not a host name: " + c.shown("host", *h));
    mailbox m;
    if (auto from = c.get_string("from"); from && !parse_mailbox(*from, m))
      report("from",
             "not an address (\"Name <addr@example.com>\" or addr@example.com; no CR or LF)");
    std::size_t recipients = 0;
    for (const char* key : {"to", "cc", "bcc", "reply_to"}) {
      for (const auto& a : c.list(key)) {
        if (!parse_mailbox(a, m)) report(key, "not an address: " + c.shown(key, a));
        if (std::string_view(key) != "reply_to") ++recipients;
      }
    }
    if (recipients == 0) report("to", "give at least one recipient in to, cc or bcc");
    if (c.get_string("username") && !c.get_string("password"))
      report("password", "required with username");
    std::string error;
    for (const char* key : {"subject", "body", "html_body"})
      if (auto t = c.get_string(key); t && !plugins::message_template::parse(*t, error))
        report(key, error);
    if (auto name = c.get_string("helo_name"); name && !valid_host(*name))
      report("helo_name", "not a host name");
    return errors;
  }

  explicit email_channel(const sdk::config_view& c) {
    std::string error;
    parse_mailbox(c.string_or("from", ""), mail_.from);
    auto read_list = [&](const char* key, std::vector<mailbox>& out) {
      for (const auto& a : c.list(key)) {
        mailbox m;
        if (parse_mailbox(a, m)) {
          out.push_back(m);
          if (std::string_view(key) != "reply_to") recipients_.push_back(m.address);
        }
      }
    };
    read_list("to", mail_.to);
    read_list("cc", mail_.cc);
    std::vector<mailbox> bcc;
    read_list("bcc", bcc);  // the envelope only
    read_list("reply_to", mail_.reply_to);
    subject_ = *plugins::message_template::parse(c.string_or("subject", "[{{priority}}] {{title}}"),
                                                 error);
    body_ = *plugins::message_template::parse(c.string_or("body", "{{body}}"), error);
    if (auto html = c.get_string("html_body"))
      html_ = plugins::message_template::parse(*html, error, plugins::escaping::html);
    domain_ = mail_.from.address.substr(mail_.from.address.find('@') + 1);

    smtp_settings s;
    s.host = c.string_or("host", "");
    const std::string tls = c.string_or("tls", "starttls");
    s.tls = tls == "implicit" ? tls_mode::implicit
            : tls == "none"   ? tls_mode::none
                              : tls_mode::starttls;
    const char* default_port = s.tls == tls_mode::implicit ? "465"
                               : s.tls == tls_mode::none   ? "25"
                                                           : "587";
    s.port = c.get_int("port") ? std::to_string(*c.get_int("port")) : default_port;
    s.tls_files.ca_file = c.string_or("ca_file", "");
    s.username = c.string_or("username", "");
    s.password = c.string_or("password", "");
    const std::string auth = c.string_or("auth", "auto");
    s.auth = auth == "plain"   ? auth_mode::plain
             : auth == "login" ? auth_mode::login
             : auth == "none"  ? auth_mode::none
                               : auth_mode::automatic;
    s.allow_plaintext_auth = c.get_bool("allow_plaintext_auth").value_or(false);
    s.helo_name = c.string_or("helo_name", "localhost");
    s.total = c.get_duration("timeout").value_or(milliseconds(30000));
    s.connect = c.get_duration("connect_timeout").value_or(s.total);
    s.command = c.get_duration("command_timeout").value_or(s.total);
    s.data = c.get_duration("data_timeout").value_or(s.total);
    s.max_connections = static_cast<std::size_t>(c.get_int("max_inflight").value_or(1));
    s.max_messages_per_connection =
        static_cast<std::size_t>(c.get_int("max_messages_per_connection").value_or(100));
    s.idle_timeout = c.get_duration("idle_timeout").value_or(milliseconds(30000));
    client_ = std::make_unique<smtp_client>(s);
  }

  void send(const sdk::message_view& m, sdk::completion done) {
    mail mail = mail_;
    mail.subject = subject_.render(m);
    mail.text_body = body_.render(m);
    if (html_) mail.html_body = html_->render(m);
    mail.message_id = std::string(m.id()) + "@" + domain_;
    mail.date_ms = m.created_at_ms();
    envelope e;
    e.message_id = std::string(m.id());
    e.from = mail_.from.address;
    e.recipients = recipients_;
    e.data = render(mail, m.id());
    client_->send(std::move(e), [done](send_result r) mutable {
      plugins::report(done, {r.outcome, r.error, std::nullopt}, r.detail);
    });
  }

 private:
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
