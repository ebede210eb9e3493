#include "multipart.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace notibus::http {

std::string quoted_form_name(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"')
      out += "%22";
    else if (c == '\\')
      out += "%5C";
    else
      out += c;
  }
  return out + "\"";
}

multipart_body::multipart_body() {
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1)
    throw std::runtime_error("no random bytes for a boundary");
  static constexpr char hex[] = "0123456789abcdef";
  boundary_ = "notibus-";
  for (unsigned char b : random) boundary_ += {hex[b >> 4], hex[b & 15]};
}

std::string multipart_body::content_type() const {
  return "multipart/form-data; boundary=" + boundary_;
}

void multipart_body::head(std::string_view name, std::string_view filename, std::string_view type) {
  pending_ +=
      "--" + boundary_ + "\r\nContent-Disposition: form-data; name=" + quoted_form_name(name);
  if (!filename.empty()) pending_ += "; filename=" + quoted_form_name(filename);
  pending_ += "\r\n";
  if (!type.empty()) pending_.append("Content-Type: ").append(type).append("\r\n");
  pending_ += "\r\n";
}

void multipart_body::add_field(std::string_view name, std::string_view value,
                               std::string_view type) {
  head(name, {}, type);
  pending_.append(value).append("\r\n");
}

void multipart_body::add_file(std::string_view name, const sdk::message_view::file& f) {
  head(name, f.name, f.media_type);
  pieces_.push_back({std::exchange(pending_, {}), {}, false});
  pieces_.push_back({{}, f.bytes, true});
  pending_ = "\r\n";
}

void multipart_body::finish_into(request& req) {
  pending_ += "--" + boundary_ + "--\r\n";
  pieces_.push_back({std::move(pending_), {}, false});
  for (auto& p : pieces_) req.more_body.push_back(std::move(p));
  pieces_.clear();
}

}  // namespace notibus::http
