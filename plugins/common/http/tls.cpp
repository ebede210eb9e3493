#include "tls.hpp"

#include <boost/asio/ip/address.hpp>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace notibus::http::detail {

namespace ssl = boost::asio::ssl;

namespace {

constexpr const char* debian_bundle = "/etc/ssl/certs/ca-certificates.crt";

std::string openssl_reason(const boost::system::system_error& e) {
  return e.code().message();
}

}  // namespace

ssl::context make_tls_context(const tls_settings& settings) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  try {
    if (!settings.ca_file.empty()) {
      ctx.load_verify_file(settings.ca_file);
    } else if (std::getenv("SSL_CERT_FILE") == nullptr && std::filesystem::exists(debian_bundle)) {
      ctx.load_verify_file(debian_bundle);
    } else {
      ctx.set_default_verify_paths();  // honours SSL_CERT_FILE and SSL_CERT_DIR
    }
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(
        "cannot load CA certificates from " +
        (settings.ca_file.empty() ? std::string("the system bundle") : settings.ca_file) + ": " +
        openssl_reason(e));
  }
  if (!settings.client_cert.empty()) {
    try {
      ctx.use_certificate_chain_file(settings.client_cert);
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("cannot load client_cert " + settings.client_cert + ": " +
                               openssl_reason(e));
    }
    try {
      ctx.use_private_key_file(settings.client_key, ssl::context::pem);
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("cannot load client_key " + settings.client_key + ": " +
                               openssl_reason(e));
    }
  }
  ctx.set_verify_mode(settings.insecure_skip_verify ? ssl::verify_none : ssl::verify_peer);
  return ctx;
}

void prepare_tls_session(SSL* ssl, const std::string& host, bool verify) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  const bool is_ip = !ec;
  if (!is_ip) SSL_set_tlsext_host_name(ssl, host.c_str());  // RFC 6066: names only
  if (!verify) return;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (is_ip)
    X509_VERIFY_PARAM_set1_ip_asc(param, address.to_string().c_str());
  else
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
}

std::string certificate_error(SSL* ssl, const std::string& host) {
  const long verdict = SSL_get_verify_result(ssl);
  if (verdict == X509_V_OK) return {};
  return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verdict) +
         " for " + host;
}

}  // namespace notibus::http::detail
