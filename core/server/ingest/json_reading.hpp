// JSON as the dialects read it: parsed with limits, fields taken leniently
// where the dialect's own server is lenient (a number where text is
// expected), refused with the field's name where it is not. And the answers
// a dialect writes for each accepted request.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <notibus/plugin/text.hpp>

#include "../http_framing.hpp"
#include "dialect.hpp"

namespace notibus::serve::ingest {

namespace json = boost::json;

// A request's JSON lives only while its dialect maps it: an arena on the
// stack takes its nodes, so a request costs a few allocations, not one a node.
class json_arena {
 public:
  json::storage_ptr storage() { return &resource_; }

 private:
  unsigned char buffer_[4096];
  json::monotonic_resource resource_{buffer_, sizeof buffer_};
};

// The body as a JSON object (its nodes in `storage`), or the refusal saying why not.
std::optional<json::object> parse_object(std::string_view body, refusal& why,
                                         json::storage_ptr storage = {});

// The member as text: a string as is, a number or boolean written out,
// anything else (or absent) empty.
std::string text_of(const json::object& o, std::string_view key);

// The member if it is an object / array, else nullptr.
const json::object* object_of(const json::object& o, std::string_view key);
const json::array* array_of(const json::object& o, std::string_view key);

refusal bad_request(std::string code, std::string detail);

// The fields of a JSON object, a form (also without a Content-Type) or a
// multipart/form-data body into `out` (its storage kept), as the Apprise API
// and Gotify take them; a multipart file part goes into `files`, refused
// where there is none (Gotify); text that is not UTF-8 and any other media
// type (415) are refused.
std::optional<refusal> read_fields(const http_request& req, json::object& out,
                                   std::vector<attachment>* files = nullptr);

// A JSON object written as text, field by field: the answer to every accepted
// request, where building a tree of a few fields and serializing it cost
// more than the rest of the dialect's work. Keys are the caller's literals.
class json_answer {
 public:
  json_answer& text(std::string_view key, std::string_view value) {
    name(key);
    quoted(value);
    return *this;
  }
  json_answer& number(std::string_view key, std::int64_t value) {
    name(key);
    out_ += std::to_string(value);
    return *this;
  }
  json_answer& texts(std::string_view key, const std::vector<std::string>& values) {
    name(key);
    out_ += '[';
    for (const auto& v : values) {
      if (out_.back() != '[') out_ += ',';
      quoted(v);
    }
    out_ += ']';
    return *this;
  }
  json_answer& object(std::string_view key, json_answer& inner) {
    name(key);
    out_ += inner.done();
    return *this;
  }
  // The text, closed; call once, last.
  std::string done() {
    out_ += '}';
    return std::move(out_);
  }

 private:
  void name(std::string_view key) {
    out_ += out_.size() == 1 ? "\"" : ",\"";
    out_ += key;
    out_ += "\":";
  }
  void quoted(std::string_view value) {
    out_ += '"';
    sdk::json_escape_to(out_, value);
    out_ += '"';
  }
  std::string out_ = "{";
};

}  // namespace notibus::serve::ingest
