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

#include <compiled_service.hpp>
#include "../../common/format/message_body.hpp"
#include "../../common/format/render.hpp"
#include "../../common/http/client.hpp"

namespace notibus::services {

// An option's value as the channel was configured.
struct option_value {
  enum class kind { unset, text, integer, number, boolean, list, map } type = kind::unset;
  std::string text;  // the scalar as text (integer and number too); lists joined ", "
  std::vector<std::string> list;
  std::vector<std::pair<std::string, std::string>> map;
};
using option_values = std::map<std::string, option_value, std::less<>>;

// What earlier upload steps captured from their answers, by name ({{step.NAME}}).
using captured_values = std::map<std::string, std::string, std::less<>>;

class context;

// Reads the definition's options from a channel's config.
option_values read_options(const compiled_service& s, const sdk::config_view& c);

// What to do with a text over the service's limit: cut it (ending with "…"),
// or send it as several messages, numbered "(1/3)", in order.
enum class overflow_mode { cut, split };

struct rendered_request {
  std::vector<http::request> requests;  // one, or a split text's parts in order
  bool text_cut = false;                // the composed text was over the service's limit
  bool field_cut = false;               // a {{...|cut:N}} value was longer than N
};

class request_renderer {
 public:
  // `render` overrides the definition's renderer (a channel's `render:`), by name.
  request_renderer(const compiled_service& s, const option_values& options, std::string channel,
                   const std::string& render = {}, overflow_mode overflow = overflow_mode::cut);

  // nullopt with `error` set when the URL does not come out as an http(s) URL.
  // `token`: what the token's request captured, when the definition has one.
  std::optional<rendered_request> render(const sdk::message_view& m, const std::string* recipient,
                                         const captured_values* token, std::string& error) const;

  // Step `step` of the upload of the message's file `file` (uploads.steps),
  // with what the steps before it captured.
  std::optional<http::request> render_step(const sdk::message_view& m, std::size_t file,
                                           std::size_t step, const captured_values& captured,
                                           const captured_values* token, std::string& error) const;

  // The token's request (token.request), its {{jwt}} signed first if it has one.
  std::optional<http::request> render_token(std::string& error) const;
  // Whether token.jwt's key is a usable RSA key (for config checks); the
  // option it comes from when not.
  bool jwt_key_usable(std::string& option, std::string& error) const;

  // The URL with no message (for redaction and config checks).
  std::string base_url() const;

 private:
  struct composed {
    std::optional<std::string> body;  // the part of the body it shows, when not all
    std::string text;
  };
  std::optional<http::request> request_for(const request_spec& r, context& ctx,
                                           std::size_t body_size, std::string& error) const;
  void attach_files(const context& ctx, http::request& req) const;
  std::vector<composed> texts(context& ctx, format::message_body& body, bool& cut) const;
  std::vector<composed> split_texts(context& ctx, format::message_body& body) const;
  std::string markup_cut(context& ctx, format::message_body& body) const;

  const compiled_service& s_;
  const option_values& options_;
  std::string channel_;
  format::target target_;
  overflow_mode overflow_;
  // A URL made of options only is the same for every message: parsed once.
  std::optional<http::target_url> fixed_url_;
};

// The renderer a definition or a channel names ("telegram", "slack"...).
std::optional<format::target> renderer_named(const std::string& name);

}  // namespace notibus::services
