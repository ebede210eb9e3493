// The `token` section of a service definition as the reader checks it, and
// the RS256 JWTs its `jwt` signs, verified with OpenSSL's public-key side.
#include <gtest/gtest.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>
#include <vector>

#include "definition_problems.hpp"
#include "http/base64.hpp"
#include "http/jwt.hpp"

using notibus::test::problems_of;

namespace {

const std::string head = R"(service: demo
description: A demo.
options:
  client_id: {type: string, required: true, doc: The app.}
  secret: {type: string, required: true, secret: true, doc: The secret.}
)";

const std::string token = R"(token:
  request:
    url: "https://login.example.com/token"
    form: {client_id: "{{options.client_id}}", client_secret: "{{options.secret}}"}
    capture: {access: access_token}
  expires_in: expires_in
)";

const std::string request = R"(request:
  url: "https://api.example.com/send"
  auth: {bearer: "{{token.access}}"}
  json: {text: "{{message.body}}"}
)";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

}  // namespace

TEST(service_token, a_token_request_feeds_the_service_requests) {
  EXPECT_EQ(problems_of(head + token + request), std::vector<std::string>{});
  // A name the token does not capture, and the token in an error text.
  EXPECT_EQ(problems_of(head + token + replaced(request, "token.access", "token.other")),
            std::vector<std::string>{
                "def.yaml:14:18: request.auth.bearer: unknown placeholder {{token.other}}"});
  EXPECT_EQ(problems_of(head + token + request + "default_error: \"{{token.access}}\"\n"),
            std::vector<std::string>{
                "def.yaml:16:16: default_error: unknown placeholder {{token.access}}"});
}

TEST(service_token, the_token_request_knows_no_message_and_must_capture) {
  EXPECT_EQ(
      problems_of(head + replaced(token, "{{options.client_id}}", "{{message.title}}") + request),
      std::vector<std::string>{
          "def.yaml:9:23: token.request.form.client_id: unknown placeholder {{message.title}}"});
  EXPECT_EQ(
      problems_of(head + replaced(token, "    capture: {access: access_token}\n", "") +
                  replaced(request, "{{token.access}}", "x")),
      std::vector<std::string>{"def.yaml:8:5: token.request: missing required key \"capture\""});
  EXPECT_EQ(
      problems_of(head + replaced(token, "expires_in: expires_in", "lifetime: 5") + request),
      std::vector<std::string>{"def.yaml:11:13: token.lifetime: must be 10 to 31622400 seconds"});
  EXPECT_EQ(problems_of(head + token + "  refresh: [{status: 4011}]\n" + request),
            std::vector<std::string>{
                "def.yaml:12:22: token.refresh[0].status: expected a status (200), a range "
                "(500-599) or a list of them, got \"4011\""});
}

TEST(service_token, a_jwt_is_known_in_the_token_request_only) {
  const std::string jwt = R"(  jwt:
    key: "{{options.secret}}"
    claims: {iss: "{{options.client_id}}", aud: "https://login.example.com/token"}
)";
  const std::string with_jwt =
      replaced(token, "client_secret: \"{{options.secret}}\"", "assertion: \"{{jwt}}\"") + jwt;
  EXPECT_EQ(problems_of(head + with_jwt + request), std::vector<std::string>{});
  // Without token.jwt there is no {{jwt}}; beyond the token's request neither.
  EXPECT_EQ(problems_of(head + replaced(token, "{{options.secret}}", "{{jwt}}") + request),
            std::vector<std::string>{
                "def.yaml:9:63: token.request.form.client_secret: unknown placeholder {{jwt}}"});
  EXPECT_EQ(
      problems_of(head + with_jwt + replaced(request, "{{message.body}}", "{{jwt}}")),
      std::vector<std::string>{"def.yaml:18:16: request.json.text: unknown placeholder {{jwt}}"});
  EXPECT_EQ(problems_of(head + replaced(with_jwt, "claims: {", "claims: {exp: \"1\", ") + request),
            std::vector<std::string>{
                "def.yaml:14:13: token.jwt.claims.exp: is added by the engine from the time and "
                "lifetime"});
}

namespace {

struct key_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<EVP_PKEY, key_free> new_rsa_key() {
  return std::unique_ptr<EVP_PKEY, key_free>(EVP_RSA_gen(2048));
}

std::string pem_of(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

std::string from_base64url(std::string s) {
  for (auto& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4) s += '=';
  return notibus::http::base64_decode(s).value_or("");
}

bool verifies(EVP_PKEY* key, const std::string& jwt) {
  const auto last = jwt.rfind('.');
  const std::string signed_part = jwt.substr(0, last);
  const std::string signature = from_base64url(jwt.substr(last + 1));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace

TEST(service_token, jwts_are_signed_rs256_and_verify) {
  auto key = new_rsa_key();
  const std::string claims = R"({"iss":"sa@example.com","iat":1,"exp":3601})";
  std::string error;
  const auto jwt = notibus::http::sign_jwt_rs256(pem_of(key.get()), claims, error);
  ASSERT_TRUE(jwt) << error;
  const auto dot = jwt->find('.');
  EXPECT_EQ(from_base64url(jwt->substr(0, dot)), R"({"alg":"RS256","typ":"JWT"})");
  EXPECT_EQ(from_base64url(jwt->substr(dot + 1, jwt->rfind('.') - dot - 1)), claims);
  EXPECT_TRUE(verifies(key.get(), *jwt));
  EXPECT_FALSE(verifies(new_rsa_key().get(), *jwt));  // another key's signature does not

  // As a key file's JSON writes it: "\n" for each line break.
  std::string escaped = pem_of(key.get());
  for (std::size_t at; (at = escaped.find('\n')) != std::string::npos;)
    escaped.replace(at, 1, "\\n");
  EXPECT_TRUE(notibus::http::sign_jwt_rs256(escaped, claims, error));
}

TEST(service_token, keys_that_cannot_sign_say_so_without_quoting_the_key) {
  std::string error;
  EXPECT_FALSE(
      notibus::http::sign_jwt_rs256("-----BEGIN PRIVATE KEY-----\nsecret-bits\n", "{}", error));
  EXPECT_EQ(error, "the private key is not a PEM private key (-----BEGIN PRIVATE KEY-----)");
  std::unique_ptr<EVP_PKEY, key_free> ec(EVP_EC_gen("P-256"));
  EXPECT_FALSE(notibus::http::sign_jwt_rs256(pem_of(ec.get()), "{}", error));
  EXPECT_EQ(error, "the private key is not an RSA key (RS256 needs one)");
}
