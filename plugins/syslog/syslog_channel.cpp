// `syslog`: each message as an RFC 5424 line to a syslog receiver (rsyslog,
// syslog-ng, a SIEM), over UDP, TCP or TLS (docs/channels.md#syslog). The
// severity follows the message's priority; the text is the title and the
// body as plain text.
#include <notibus/plugin/sdk.hpp>

#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "format/message_body.hpp"
#include "http/transport_options.hpp"
#include "rfc5424.hpp"
#include "syslog_client.hpp"

namespace notibus::syslog {
namespace {

using std::chrono::milliseconds;

// RFC 5424 severities: urgent is critical, high an error, normal a notice.
int severity_of(std::string_view priority) {
  if (priority == "urgent") return 2;
  if (priority == "high") return 3;
  if (priority == "low") return 6;
  if (priority == "min") return 7;
  return 5;
}

std::string local_hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "-";
  return name;
}

class syslog_channel {
 public:
  struct config {
    std::string host;
    std::optional<std::int64_t> port;
    syslog::transport transport = transport::tls;
    std::string facility = "user";
    std::string app_name = "notibus";
    std::string hostname;
    std::int64_t max_bytes = 2048;
    http::tls_settings tls;       // transport: tls
    milliseconds timeout{30000};  // the core's, bounding one attempt
  };

  static const sdk::schema<config>& schema() {
    static const auto s =
        sdk::schema<config>()
            .field("host", &config::host, "The syslog receiver.", {.required = true})
            .field("port", &config::port, "Default 6514 (tls), 514 (udp, tcp).",
                   {.min = 1, .max = 65535})
            .choice("transport", &config::transport,
                    {{"tls", transport::tls}, {"tcp", transport::tcp}, {"udp", transport::udp}},
                    "tls (RFC 5425), tcp (RFC 6587, octet-counted) or udp (RFC 5426).")
            .field("facility", &config::facility,
                   "kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, "
                   "ftp, ntp, audit, alert, clock or local0 to local7.")
            .field("app_name", &config::app_name, "APP-NAME of each message.")
            .field("hostname", &config::hostname,
                   "HOSTNAME of each message (default: this host's).")
            .field("max_bytes", &config::max_bytes,
                   "Longest message; longer text is cut (2048: what every receiver takes).",
                   {.min = 480, .max = 65000})
            .include(&config::tls, http::tls_schema())
            .from_core("timeout", &config::timeout);
    return s;
  }

  static void validate(const config& c, sdk::config_view& view) {
    if (c.host.empty() || c.host.find_first_of(" \t\r\n/") != std::string::npos)
      view.error("host", "not a host name: " + view.shown("host", c.host));
    if (facility_number(c.facility) < 0)
      view.error("facility", "unknown facility \"" + c.facility +
                                 "\" (kern, user, mail, daemon, auth, ..., local0 to local7)");
    if (c.transport != transport::tls && (!c.tls.ca_file.empty() || !c.tls.client_cert.empty()))
      view.error("transport", "ca_file and client_cert are for transport: tls");
    http::validate_tls(c.tls, view);
  }

  syslog_channel(const config& c, const sdk::config_view& view)
      : facility_(facility_number(c.facility)),
        app_name_(c.app_name),
        hostname_(c.hostname.empty() ? local_hostname() : c.hostname),
        max_bytes_(static_cast<std::size_t>(c.max_bytes)) {
    client_settings s;
    s.host = c.host;
    s.port = c.port ? std::to_string(*c.port) : c.transport == transport::tls ? "6514" : "514";
    s.transport = c.transport;
    s.tls = c.tls;
    if (c.transport == transport::tls) http::warn_if_unverified(c.tls, c.host, view);
    s.timeout = c.timeout;
    client_ = std::make_unique<syslog_client>(s);  // throws for unreadable TLS files
  }

  void send(const sdk::message_view& m, sdk::completion done) {
    format::message_body body(m, format::target::text);
    const std::string title(m.title());
    const std::string text = title.empty() ? body.as_text() : title + ": " + body.as_text();
    header h{facility_, severity_of(m.priority()), m.created_at_ms(),     hostname_,
             app_name_, std::to_string(getpid()),  std::string(m.topic())};
    bool cut = false;
    std::string line = format_message(h, text, max_bytes_, cut);
    const std::string note =
        cut ? "text cut to fit max_bytes (" + std::to_string(max_bytes_) + ")" : "";
    client_->send(std::move(line), [done, note](sdk::outcome r) mutable {
      if (r.is_delivered()) r.detail = note;
      done.finish(r);
    });
  }

 private:
  int facility_;
  std::string app_name_;
  std::string hostname_;
  std::size_t max_bytes_;
  std::unique_ptr<syslog_client> client_;
};

}  // namespace
}  // namespace notibus::syslog

NOTIBUS_DEFINE_CHANNEL(syslog, notibus::syslog::syslog_channel,
                       "RFC 5424 syslog over TLS, TCP (octet-counted) or UDP.", "1.0.0")
