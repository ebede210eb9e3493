// Any request an ingestion dialect may be sent, read as `notibus serve`
// hands it over (method, target, lower-cased headers, body): never a crash,
// a hang or a leak in any dialect's mapping, its answers, or the parsers
// under them (RFC 2047 values, multipart, forms, base64, Slack's mrkdwn).
//
// Input: byte 0 picks the dialect (and per_alert), byte 1 the content type;
// then "TARGET\n", header lines "name: value\n" up to an empty line, the body.
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/ingest/dialect.hpp"
#include "server/ingest/mrkdwn.hpp"

namespace ingest = notibus::serve::ingest;
using notibus::serve::http_request;

namespace {

const std::vector<std::unique_ptr<ingest::dialect>>& dialects(bool per_alert) {
  static auto make = [](bool each) {
    notibus::ingest_settings s;
    for (auto name : notibus::ingest_dialect_names()) {
      notibus::ingest_dialect_settings d;
      d.dialect = name;
      d.enabled = true;
      d.path = name == "ntfy" ? "/" : "/" + std::string(name) + "/";
      d.keys = {{"k", "t"}, {"c", "channels: a, b"}};
      d.per_alert = each;
      d.hmac_secret = each && name == "grafana" ? "secret" : "";
      s.dialects.push_back(d);
    }
    return ingest::make_dialects(s);
  };
  static const auto grouped = make(false), each = make(true);
  return per_alert ? each : grouped;
}

http_request read_request(std::string_view in, std::uint8_t type_byte) {
  static const char* types[] = {"application/json", "application/x-www-form-urlencoded",
                                "multipart/form-data; boundary=B", ""};
  http_request r;
  r.method = type_byte & 0x80 ? "PUT" : type_byte & 0x40 ? "GET" : "POST";
  const std::size_t eol = in.find('\n');
  r.target = std::string(in.substr(0, eol));
  in = eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
  while (!in.empty() && in.front() != '\n') {
    const std::size_t end = in.find('\n');
    const std::string_view line = in.substr(0, end);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos)
      r.headers.emplace_back(std::string(line.substr(0, colon)),
                             std::string(line.substr(colon + 1)));
    in = end == std::string_view::npos ? std::string_view() : in.substr(end + 1);
  }
  if (!in.empty()) in.remove_prefix(1);
  if (*types[type_byte & 3]) r.headers.emplace_back("content-type", types[type_byte & 3]);
  r.body = std::string(in);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  const auto& all = dialects(data[0] & 0x80);
  const ingest::dialect& d = *all[data[0] % all.size()];
  const http_request req = read_request(in, data[1]);
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (d.serves(path)) {
    (void)d.authorized(req, path, "token");
    ingest::mapped m = d.map(req, path);
    if (m.refused) (void)d.refused(*m.refused);
    if (!m.messages.empty()) {
      std::vector<std::string> ids(m.messages.size(), "01ID");
      (void)d.accepted(req.target, m.messages, ids);
    }
  }
  (void)ingest::mrkdwn_to_markdown(req.body);
  (void)ingest::decode_rfc2047(req.body);
  return 0;
}
