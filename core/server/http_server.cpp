// One connection's exchanges (keep-alive): the head, its framing checked
// (RFC 9112), the body (after a 100 Continue if asked), the handler's
// answer, the reply and the access log line.
#include "http_server_impl.hpp"

namespace notibus::serve {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string remote_of(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  const std::string address = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + address + "]" : address) + ":" + std::to_string(ep.port());
}

// A body the parser refused (a bad chunk size, say), as opposed to a client
// that went away or a timeout: that one deserves a 400 before the close.
bool is_framing_error(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_chunk).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// Every Transfer-Encoding field of a head, joined as one list.
std::optional<std::string> transfer_encoding(const bhttp::request_header<>& head) {
  std::optional<std::string> out;
  for (const auto& f : head)
    if (f.name() == bhttp::field::transfer_encoding)
      out = out ? *out + ", " + std::string(f.value()) : std::string(f.value());
  return out;
}

// Feeds the parser what the buffer holds already, up to the end of the head
// (or of the whole message when `whole`); true once that part is complete,
// `ec` the parser's refusal if any. A request nearly always arrives in one
// read: parsing it here spares a Beast read operation per part, each a
// coroutine frame and a trip through the scheduler for bytes already here.
bool parse_buffered(beast::flat_buffer& buffer, bhttp::request_parser<bhttp::string_body>& parser,
                    bool whole, beast::error_code& ec) {
  parser.eager(whole);
  const auto complete = [&] { return whole ? parser.is_done() : parser.is_header_done(); };
  while (!complete() && buffer.size() != 0) {
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == bhttp::error::need_more) ec = {};
    if (ec || used == 0) break;
  }
  return !ec && complete();
}

bool expects_continue(const bhttp::request_header<>& head) {
  const auto it = head.find(bhttp::field::expect);
  return head.version() == 11 && it != head.end() && lower(it->value()) == "100-continue";
}

}  // namespace

http_response plain_error(unsigned status, const char* code, const char* detail) {
  return {status, {}, std::string("{\"error\":\"") + code + "\",\"detail\":\"" + detail + "\"}"};
}

asio::awaitable<void> http_server::impl::talk(tcp::socket socket) {
  std::string remote = remote_of(socket);
  beast::tcp_stream stream(std::move(socket));
  if (!tls) co_return co_await serve(stream, stream, std::move(remote));
  beast::ssl_stream<beast::tcp_stream&> secure(stream, *tls);
  stream.expires_after(settings.header_timeout);
  auto [ec] = co_await secure.async_handshake(asio::ssl::stream_base::server, tuple_awaitable);
  if (!ec) co_await serve(secure, stream, std::move(remote));
}

template <class Stream>
asio::awaitable<void> http_server::impl::serve(Stream& stream, beast::tcp_stream& tcp,
                                               std::string remote) {
  // Room for the largest head allowed plus a read's worth of what follows it;
  // the parser's header_limit decides, so the client gets a 431, not a reset.
  // The buffer starts small: a connection that only waits costs little.
  beast::flat_buffer buffer(max_header_bytes + 8192);
  for (bool first = true;; first = false) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
    // The largest any request may send; its own bound is set once its head is read.
    parser.body_limit(std::max(settings.max_body, message_body_limit));
    exchange_note note{remote};
    std::optional<http_request> req = co_await read_head(stream, tcp, buffer, parser, note, first);
    if (!req) co_return;
    const std::size_t limit = body_limit_of(*req);
    parser.body_limit(limit);
    std::optional<http_response> refused = framing_refusal(parser, limit);
    // A body past max_body (or of a length not told) is read only for a
    // request whose head passes (its token); a small one is checked as usual.
    const auto length = parser.content_length();
    const bool may_be_large = parser.chunked() || (length && *length > settings.max_body);
    if (!refused && limit > settings.max_body && may_be_large && check_head &&
        !expects_continue(parser.get().base()))
      refused = check_head(*req);
    if (refused) {
      co_await reply(stream, tcp, *refused, false, note);
      co_return;
    }
    if (!co_await read_body(stream, tcp, buffer, parser, *req, note)) co_return;
    const bool keep_alive = parser.get().keep_alive() && !stopping;
    http_response res = co_await answer(std::move(*req));
    if (!co_await reply(stream, tcp, std::move(res), keep_alive, note) || !keep_alive) co_return;
  }
}

template <class Stream>
asio::awaitable<std::optional<http_request>> http_server::impl::read_head(
    Stream& stream, beast::tcp_stream& tcp, beast::flat_buffer& buffer,
    bhttp::request_parser<bhttp::string_body>& parser, exchange_note& note, bool first) {
  // A new connection's head must arrive within header_timeout of its first
  // byte; a kept-alive one may stay silent for idle_timeout, then gets
  // header_timeout for the head, so a client trickling bytes is cut off.
  if (buffer.size() == 0) {
    tcp.expires_after(first ? settings.header_timeout : settings.idle_timeout);
    auto [ec, n] =
        co_await stream.async_read_some(buffer.prepare(first ? 512 : 8192), tuple_awaitable);
    if (ec) co_return std::nullopt;
    buffer.commit(n);
    note.started = clock::now();
    if (!first) tcp.expires_after(settings.header_timeout);
  }
  beast::error_code ec;
  if (!parse_buffered(buffer, parser, false, ec) && !ec)
    std::tie(ec, std::ignore) =
        co_await bhttp::async_read_header(stream, buffer, parser, tuple_awaitable);
  if (ec) {
    if (ec == bhttp::error::body_limit)  // a Content-Length over any bound
      co_await reply(stream, tcp, too_large(std::max(settings.max_body, message_body_limit)), false,
                     note);
    else if (ec == bhttp::error::header_limit)
      co_await reply(stream, tcp, plain_error(431, "header_too_large", "request header too large"),
                     false, note);
    else if (ec != beast::error::timeout && ec != bhttp::error::end_of_stream)
      co_await reply(stream, tcp, plain_error(400, "bad_request", "malformed HTTP request"), false,
                     note);
    co_return std::nullopt;
  }
  const auto& head = parser.get().base();
  http_request req = request_of(head, std::string(note.remote));
  note.version = req.version;
  if (settings.access_log)
    note.request_line = req.method + " " + loggable_target(req.target) +
                        (req.version == 10 ? " HTTP/1.0" : " HTTP/1.1");
  note.head_only = req.method == "HEAD";
  co_return req;
}

// A POST or PUT may carry files: POST /v1/messages, and the ingestion
// dialects that take them (ntfy's PUT of a file). Its head was checked by
// then (the token, and a dialect's own limit), so only such a request reads
// past max_body.
std::size_t http_server::impl::body_limit_of(const http_request& req) const {
  if (message_body_limit <= settings.max_body || (req.method != "POST" && req.method != "PUT"))
    return settings.max_body;
  return message_body_limit;
}

std::optional<http_response> http_server::impl::framing_refusal(
    const bhttp::request_parser<bhttp::string_body>& parser, std::size_t limit) const {
  if (auto te = transfer_encoding(parser.get().base())) {
    const framing f = check_transfer_encoding(*te);
    if (f == framing::bad_request)
      return plain_error(400, "bad_request", "Transfer-Encoding must end in chunked");
    if (f == framing::not_implemented)
      return plain_error(501, "not_implemented", "only the chunked transfer coding is supported");
  }
  const auto length = parser.content_length();
  if (length && *length > limit) return too_large(limit);
  return std::nullopt;
}

template <class Stream>
asio::awaitable<bool> http_server::impl::read_body(
    Stream& stream, beast::tcp_stream& tcp, beast::flat_buffer& buffer,
    bhttp::request_parser<bhttp::string_body>& parser, http_request& req,
    const exchange_note& note) {
  if (expects_continue(parser.get().base()) && !parser.is_done()) {
    if (check_head)
      if (auto refused = check_head(req)) {  // the body is never read: close after
        co_await reply(stream, tcp, *refused, false, note);
        co_return false;
      }
    static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(go_on), tuple_awaitable);
    if (ec) co_return false;
  }
  beast::error_code ec;
  if (!parse_buffered(buffer, parser, true, ec) && !ec)
    std::tie(ec, std::ignore) = co_await bhttp::async_read(stream, buffer, parser, tuple_awaitable);
  if (ec) {
    if (ec == bhttp::error::body_limit)
      co_await reply(stream, tcp, too_large(body_limit_of(req)), false, note);
    else if (is_framing_error(ec))
      co_await reply(stream, tcp, plain_error(400, "bad_request", "malformed request body"), false,
                     note);
    co_return false;
  }
  req.body = std::move(parser.get().body());
  co_return true;
}

http_request http_server::impl::request_of(const bhttp::request_header<>& head,
                                           const std::string& remote) {
  http_request req;
  req.method = std::string(head.method_string());
  req.target = std::string(head.target());
  req.version = head.version() == 10 ? 10 : 11;
  for (const auto& f : head)
    req.headers.emplace_back(lower(f.name_string()), std::string(f.value()));
  req.remote = remote;
  return req;
}

asio::awaitable<http_response> http_server::impl::answer(http_request req) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(http_response)>(
      [this, req = std::move(req)](auto completion) mutable {
        // std::function wants a copyable target; the completion is move-only.
        // One allocation holds it and whether it was answered.
        struct pending {
          explicit pending(decltype(completion) c) : done(std::move(c)) {}
          decltype(completion) done;
          std::atomic<bool> answered{false};
        };
        auto shared = std::make_shared<pending>(std::move(completion));
        auto respond = [shared](http_response r) {
          if (shared->answered.exchange(true)) return;  // a handler that threw after answering
          auto ex = asio::get_associated_executor(shared->done);
          asio::post(ex, [shared, r = std::move(r)]() mutable { shared->done(std::move(r)); });
        };
        try {
          handle(std::move(req), respond);
        } catch (const std::exception&) {
          respond(plain_error(500, "internal", "internal error"));
        }
      },
      asio::use_awaitable);
}

http_response http_server::impl::too_large(std::size_t limit) const {
  const char* bound =
      limit == settings.max_body ? "server.max_body" : "allowed by attachments.max_total";
  return {413,
          {},
          "{\"error\":\"body_too_large\",\"detail\":\"the body is larger than " +
              std::string(bound) + " (" + std::to_string(limit) + " bytes)\",\"field\":\"\"}"};
}

template <class Stream>
asio::awaitable<bool> http_server::impl::reply(Stream& stream, beast::tcp_stream& tcp,
                                               http_response r, bool keep_alive,
                                               const exchange_note& note) {
  tcp.expires_after(settings.header_timeout);
  beast::error_code ec;
  // As the handler gave it, for the access log.
  const std::size_t body_size = r.keep ? r.shared_body.size() : r.body.size();
  // JSON is UTF-8: a byte a client sent (a parameter name quoted in an
  // error, say) that is not becomes U+FFFD rather than breaking the answer.
  auto body_of = [](http_response& r) {
    return r.content_type.starts_with("application/json") ? with_valid_utf8(std::move(r.body))
                                                          : std::move(r.body);
  };
  if (note.head_only || r.keep) {
    // A HEAD, or a body held elsewhere: the head, then (for a GET) the bytes
    // as they are. Written so rather than as a Beast body type of its own,
    // whose serializer would add some 200 KB to the binary for one route.
    bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(r.status), note.version};
    set_fields(res, r);
    res.keep_alive(keep_alive);
    res.content_length(r.keep ? r.shared_body.size() : body_of(r).size());
    std::tie(ec, std::ignore) = co_await bhttp::async_write(stream, res, tuple_awaitable);
    if (!ec && r.keep && !note.head_only)
      std::tie(ec, std::ignore) =
          co_await asio::async_write(stream, asio::buffer(r.shared_body), tuple_awaitable);
  } else {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), note.version};
    set_fields(res, r);
    res.body() = body_of(r);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    std::tie(ec, std::ignore) = co_await bhttp::async_write(stream, res, tuple_awaitable);
  }
  if (!keep_alive) {
    beast::error_code ignored;
    tcp.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
  if (settings.access_log && log) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - note.started);
    log(log_level::info, "access: " + std::string(note.remote) + " \"" + note.request_line + "\" " +
                             std::to_string(r.status) + " " +
                             std::to_string(note.head_only ? 0 : body_size) + " " +
                             std::to_string(ms.count()) + "ms");
  }
  co_return !ec;
}

}  // namespace notibus::serve
