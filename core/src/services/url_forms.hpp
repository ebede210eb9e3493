// Apprise-style URL forms ("discord://{webhook_id}/{webhook_token}") and the
// options they set, as a service definition lists them (`urls`, `query`) and
// as a channel URL-forms file does for a plugin's channel type (json:// for
// webhook, mailto:// for email: plugins/*/url_forms.yaml).
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../config/section.hpp"

namespace notibus::services {

using text_pairs = std::vector<std::pair<std::string, std::string>>;

// "discord://{webhook_id}/{webhook_token}" and what it sets: captures named
// like an option set it, `options` sets more (texts with {captures}).
struct url_form {
  std::string pattern;
  text_pairs sets;  // option -> text with {captures}, {raw:capture} or {query}
};

struct url_forms {
  std::vector<url_form> urls;
  text_pairs query;  // URL query parameter -> option
  // Whether some form puts the whole query into an option ({query}): then
  // any parameter is taken.
  bool takes_query = false;
};

// Reads `urls` and `query`; `is_option(name)` says whether an option exists.
url_forms read_url_forms(const YAML::Node& urls, const YAML::Node& query,
                         const std::function<bool(const std::string&)>& is_option,
                         diagnostics_sink& sink);

// A channel plugin's URL forms (a file with `channel:` where a service
// definition has `service:`). Which options exist is the plugin's business:
// they are checked against its option table when a URL is read.
struct channel_url_forms {
  std::string channel;  // the plugin's channel type
  url_forms forms;
  text_pairs defaults;  // option -> text with {captures}, when nothing else set it
};

std::optional<channel_url_forms> read_channel_url_forms(const YAML::Node& root,
                                                        diagnostics_sink& sink);

}  // namespace notibus::services
