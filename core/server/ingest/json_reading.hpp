// JSON as the dialects read it: parsed with limits, fields taken leniently
// where the dialect's own server is lenient (a number where text is
// expected), refused with the field's name where it is not.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include <notibus/plugin/text.hpp>

#include "../http_framing.hpp"
#include "dialect.hpp"

namespace notibus::serve::ingest {

namespace json = boost::json;

// The body as a JSON object, or the refusal saying why not.
std::optional<json::object> parse_object(std::string_view body, refusal& why);

// The member as text: a string as is, a number or boolean written out,
// anything else (or absent) empty.
std::string text_of(const json::object& o, std::string_view key);

// The member if it is an object / array, else nullptr.
const json::object* object_of(const json::object& o, std::string_view key);
const json::array* array_of(const json::object& o, std::string_view key);

refusal bad_request(std::string code, std::string detail);

}  // namespace notibus::serve::ingest
