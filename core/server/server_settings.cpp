#include <notibus/config_section.hpp>
#include <notibus/server_settings.hpp>

namespace notibus {
namespace {

const sdk::schema<server_settings>& server_schema() {
  using s = server_settings;
  static const auto schema =
      sdk::schema<s>()
          .field("listen", &s::listen, "host:port of the HTTP API.")
          .field("auth_token", &s::auth_token, "Bearer token; empty disables auth.",
                 {.secret = true})
          .field("max_body", &s::max_body, "Largest request body in bytes.",
                 {.min = 1, .max = 64 << 20})
          .field("shutdown_grace", &s::shutdown_grace, "How long SIGTERM waits for deliveries.")
          .field("tls.cert", &s::tls_cert, "PEM certificate chain for an HTTPS listener.")
          .field("tls.key", &s::tls_key, "PEM private key for an HTTPS listener.")
          .field("max_connections", &s::max_connections, "Open connections at most.",
                 {.min = 1, .max = 100000})
          .field("header_timeout", &s::header_timeout, "A request head must arrive within it.")
          .field("idle_timeout", &s::idle_timeout, "Silence allowed between requests.")
          .field("health_without_auth", &s::health_without_auth,
                 "/healthz and /readyz need no token.")
          .field("metrics_without_auth", &s::metrics_without_auth, "/metrics needs no token.")
          .field("access_log", &s::access_log,
                 "Log one line per request (client, request line, status, bytes, time).");
  return schema;
}

void check_server(sdk::config_view& view) {
  const server_settings s = server_schema().read(view);
  if (!split_listen(s.listen))
    view.error("listen",
               "expected host:port (127.0.0.1:8025, [::1]:8025 or :8025 for every address), got " +
                   view.shown("listen", s.listen));
  if (s.tls_cert.empty() != s.tls_key.empty())
    view.error(s.tls_cert.empty() ? "tls.key" : "tls.cert", "tls needs both cert and key");
}

}  // namespace

config_section server_section() {
  return {"server", server_schema().options(), check_server};
}

server_settings server_settings_of(const config& cfg) {
  server_settings s = read_section(cfg, "server", server_schema()).value_or(server_settings{});
  s.ingest = ingest_settings_of(cfg);
  s.attachments = cfg.attachments;
  return s;
}

std::size_t max_message_body(const server_settings& s) {
  const attachment_settings& a = s.attachments;
  if (a.max_count == 0) return s.max_body;
  // Base64 takes 4 bytes for 3; each file part or JSON object adds its head.
  return s.max_body + a.max_total / 3 * 4 + 4 + static_cast<std::size_t>(a.max_count) * 1024;
}

std::optional<listen_address> split_listen(std::string_view listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == listen.size()) return std::nullopt;
  std::string_view host = listen.substr(0, colon);
  const std::string_view port = listen.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string_view::npos)
    return std::nullopt;  // an IPv6 address goes in brackets
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoi(std::string(port)) > 65535)
    return std::nullopt;
  return listen_address{host.empty() ? "0.0.0.0" : std::string(host), std::string(port)};
}

}  // namespace notibus
