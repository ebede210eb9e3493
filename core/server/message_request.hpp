// The JSON body of POST /v1/messages, checked field by field.
#pragma once

#include <notibus/message.hpp>

#include <optional>
#include <string>

namespace notibus::serve {

struct request_error {
  unsigned status = 400;
  std::string code;    // "malformed_json", "wrong_type", ...
  std::string detail;  // never echoes a value
  std::string field;   // JSON path: "tags[2]"
};

// Fills `out` or returns why not.
std::optional<request_error> parse_message_request(const std::string& body, message& out);

std::string error_json(const request_error& e);

}  // namespace notibus::serve
