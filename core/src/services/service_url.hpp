// Channels given as one URL, the way Apprise and shoutrrr users write them:
// "tgram://TOKEN/CHAT", "discord://ID/TOKEN", "json://host/path",
// "mailto://user:pass@smtp.example.com?to=a@example.com". Each service
// definition lists its forms, and plugins/*/url_forms.yaml those of a
// plugin's channel type (json(s):// for webhook, mailto(s):// for email).
// The URL is a secret as a whole: no error quotes it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog.hpp"

namespace notibus::services {

struct url_channel {
  std::string type;  // a service or a plugin's channel type
  std::vector<std::pair<std::string, std::string>> options;
  std::string error;  // set when the URL cannot be read: names the forms expected
};

url_channel channel_from_url(std::string_view url, catalog& services);

// Matches `text` (after "scheme://", before "?") against a form's part after
// "scheme://"; fills `captures` (as written: percent-decoded when used). {name} takes one path
// segment (no "/"), stopping at the literal that follows; {name*} may span "/".
bool match_form(std::string_view form_rest, std::string_view text,
                std::vector<std::pair<std::string, std::string>>& captures);

}  // namespace notibus::services
