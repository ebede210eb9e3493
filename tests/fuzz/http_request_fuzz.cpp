// Any bytes a client sends to `notibus serve`, read as its listener reads them
// (Beast's parser with the daemon's limits, then the framing, auth and media
// type rules and the POST /v1/messages body, as JSON and as multipart): never a crash, and what is
// accepted keeps its promises (a body is framed as Beast reads it; a message has no
// NUL and is valid UTF-8).
#include <notibus/plugin/text.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>

#include "server/attachment_request.hpp"
#include "server/auth.hpp"
#include "server/http_framing.hpp"
#include "server/message_request.hpp"

namespace bhttp = boost::beast::http;
using namespace notibus::serve;

namespace {

void check_message(const notibus::message& m) {
  for (const std::string* s : {&m.topic, &m.title, &m.body})
    if (s->find('\0') != std::string::npos || !notibus::sdk::is_valid_utf8(*s)) __builtin_trap();
  for (const auto& [k, v] : m.attributes)
    if (k.find('\0') != std::string::npos || v.find('\0') != std::string::npos) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec && ec != bhttp::error::need_more) return 0;
  if (!parser.is_header_done()) return 0;
  const auto& head = parser.get();

  http_request req;
  req.method = std::string(head.method_string());
  req.target = std::string(head.target());
  for (const auto& f : head) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  // What the listener lets through must be what Beast will read: a body
  // framed one way by us and another by the parser is request smuggling.
  std::string te;
  for (const auto& f : head)
    if (f.name() == bhttp::field::transfer_encoding)
      te += (te.empty() ? "" : ", ") + std::string(f.value());
  if (!te.empty() && check_transfer_encoding(te) == framing::ok && !parser.chunked())
    __builtin_trap();
  if (loggable_target(req.target).find('?') != std::string::npos &&
      loggable_target(req.target).find("?REDACTED") == std::string::npos)
    __builtin_trap();
  (void)check_bearer(req, "fuzz-token");
  if (const auto* type = req.header("content-type")) (void)media_type(*type);

  if (!parser.is_done()) return 0;
  req.body = parser.get().body();
  notibus::message m;
  if (!parse_message_request(req.body, m)) check_message(m);
  // The same body as multipart/form-data (boundary "B", as a client may
  // send it): every file must be a view inside the body, never past it.
  auto body = std::make_shared<const std::string>(req.body);
  notibus::message mp;
  if (!parse_multipart_message("multipart/form-data; boundary=B", body, mp)) {
    check_message(mp);
    for (const auto& a : mp.attachments) {
      const std::string_view bytes = a.bytes();
      if (bytes.data() < body->data() || bytes.data() + bytes.size() > body->data() + body->size())
        __builtin_trap();
    }
  }
  return 0;
}
