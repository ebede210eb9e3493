// Fills a service's templates for one message: the URL (each value encoded for
// where it lands), headers, auth and a JSON or form body. A template that is
// one placeholder keeps the value's type in JSON (a number, a bool, a list) and
// its field is left out when the option is not set.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../../common/http/client.hpp"
#include <compiled_service.hpp>

namespace notibus::services {

// An option's value as the channel was configured.
struct option_value {
  enum class kind { unset, text, integer, number, boolean, list, map } type = kind::unset;
  std::string text;  // the scalar as text (integer and number too); lists joined ", "
  std::vector<std::string> list;
  std::vector<std::pair<std::string, std::string>> map;
};
using option_values = std::map<std::string, option_value, std::less<>>;

// Reads the definition's options from a channel's config.
option_values read_options(const compiled_service& s, const sdk::config_view& c);

struct rendered_request {
  http::request request;
  bool text_cut = false;   // the composed text was over the service's limit
  bool field_cut = false;  // a {{...|cut:N}} value was longer than N
};

class request_renderer {
 public:
  request_renderer(const compiled_service& s, const option_values& options, std::string channel);

  // nullopt with `error` set when the URL does not come out as an http(s) URL.
  std::optional<rendered_request> render(const sdk::message_view& m, const std::string* recipient,
                                         std::string& error) const;

  // The URL with no message (for redaction and config checks).
  std::string base_url() const;

 private:
  const compiled_service& s_;
  const option_values& options_;
  std::string channel_;
  // A URL made of options only is the same for every message: parsed once.
  std::optional<http::target_url> fixed_url_;
};

}  // namespace notibus::services
