// OpenSSL client contexts and the words for a failed certificate check.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <string>

#include "client.hpp"

namespace notibus::http::detail {

// TLS 1.2 or newer, peer verification on unless told otherwise, the CA bundle
// from ca_file, else SSL_CERT_FILE, else /etc/ssl/certs/ca-certificates.crt,
// else OpenSSL's default paths. Throws std::runtime_error naming the bad file.
boost::asio::ssl::context make_tls_context(const tls_settings& settings);

// Sets SNI (names only, never IP literals) and the name or address the
// certificate must match.
void prepare_tls_session(SSL* ssl, const std::string& host, bool verify);

// "certificate verify failed: unable to get local issuer certificate for host",
// or an empty string when the failure was not about the certificate.
std::string certificate_error(SSL* ssl, const std::string& host);

}  // namespace notibus::http::detail
