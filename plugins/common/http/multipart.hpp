// multipart/form-data bodies (RFC 7578) whose file parts are views of the
// message's attachments: the request carries the part heads as text and the
// files as borrowed bytes, so no file is copied for a request.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <string>
#include <string_view>

#include "client.hpp"

namespace notibus::http {

class multipart_body {
 public:
  multipart_body();  // a fresh random boundary
  // "multipart/form-data; boundary=..."
  std::string content_type() const;
  void add_field(std::string_view name, std::string_view value, std::string_view type = {});
  // The file's bytes are borrowed: they must outlive the request.
  void add_file(std::string_view name, const sdk::message_view::file& f);
  // Moves the body into `req` (after whatever req.body holds).
  void finish_into(request& req);

 private:
  void head(std::string_view name, std::string_view filename, std::string_view type);
  std::string boundary_;
  std::string pending_;  // text not yet a piece
  std::vector<body_piece> pieces_;
};

// A name or file name for a Content-Disposition quoted string, as browsers
// write it: '"' as %22 (CR and LF never reach here: names are checked).
std::string quoted_form_name(std::string_view name);

}  // namespace notibus::http
