// The Apprise API's POST /notify/{KEY} (github.com/caronc/apprise-api): JSON,
// form or multipart fields body, title, type, format and tag, files as
// multipart parts or URLs in `attach`; KEY names a target in the config
// (ingest.apprise.keys). Answers 200 once the message
// is accepted (delivery goes on after it: Apprise's own 200 means "sent",
// notibus's means "accepted and kept", docs/ingest.md), 204 for a KEY with
// nothing configured, as Apprise does; errors as {"error": ...}.
#include "json_reading.hpp"

namespace notibus::serve::ingest {
namespace {

// Apprise's notification types: the tag they add and the priority.
struct apprise_type {
  std::string_view name;
  priority level;
};
constexpr apprise_type types[] = {{"info", priority::normal},
                                  {"success", priority::normal},
                                  {"warning", priority::high},
                                  {"failure", priority::urgent}};

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::string item;
  for (char c : std::string(text) + ",") {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!item.empty()) out.push_back(std::move(item));
      item.clear();
    } else {
      item += c;
    }
  }
  return out;
}

class apprise final : public dialect {
 public:
  using dialect::dialect;

  mapped map(const http_request& req, std::string_view path) const override {
    if (req.method != "POST") return refuse(405, "use POST /notify/{KEY}");
    const std::string key(path.substr(settings().path.size()));
    json_arena arena;
    json::object in(arena.storage());
    std::vector<attachment> files;
    if (auto no = read_fields(req, in, &files)) return mapped::refuse(*no);
    if (key.empty() || key.find('/') != std::string::npos) {
      // The stateless form names its destinations itself: a caller would
      // choose where notibus sends, so it is not offered.
      return refuse(403,
                    "stateless notifications (POST /notify/ with urls) are not enabled; "
                    "post to /notify/{KEY}");
    }
    const std::string* target = find_key(key);
    if (!target) {
      mapped m;
      m.answer = http_response{204, {}, ""};  // Apprise: "no configuration for this KEY"
      return m;
    }
    message m = base_message();
    if (auto no = read_message(in, m)) return mapped::refuse(*no);
    m.attachments = std::move(files);
    if (auto no = read_attach_urls(in, m)) return mapped::refuse(*no);
    aim(*target, m);
    return mapped::publish(std::move(m));
  }

  bool takes_files() const override { return true; }

  http_response accepted(std::string_view, const std::vector<message>&,
                         const std::vector<std::string>& ids) const override {
    return {200, {}, json::serialize(json::object{{"id", ids.front()}})};
  }

  http_response refused(const refusal& why) const override {
    http_response r{why.status, {}, json::serialize(json::object{{"error", why.detail}})};
    if (!why.retry_after.empty()) r.headers.emplace_back("Retry-After", why.retry_after);
    return r;
  }

 private:
  mapped refuse(unsigned status, std::string detail) const {
    return mapped::refuse({status, "", std::move(detail)});
  }

  const std::string* find_key(const std::string& key) const {
    for (const auto& [k, target] : settings().keys)
      if (k == key) return &target;
    return nullptr;
  }

  // "channels: a, b", "tags: a, b", or a topic.
  static void aim(const std::string& target, message& m) {
    if (target.starts_with("channels:")) {
      m.channels = split_list(std::string_view(target).substr(9));
    } else if (target.starts_with("tags:")) {
      for (auto& t : split_list(std::string_view(target).substr(5))) m.tags.push_back(std::move(t));
    } else {
      m.topic = target;
    }
  }

  // `attach` (or `attachment`): a URL or a list of them, fetched as the
  // native API fetches URL attachments (docs/attachments.md).
  static std::optional<refusal> read_attach_urls(const json::object& in, message& m) {
    std::vector<std::string> urls;
    for (const char* key : {"attach", "attachment"}) {
      if (const json::array* list = array_of(in, key)) {
        for (const auto& u : *list)
          if (u.is_string()) urls.emplace_back(u.as_string());
      } else {
        for (auto& u : split_list(text_of(in, key))) urls.push_back(std::move(u));
      }
    }
    for (auto& url : urls) {
      if (!url.starts_with("http://") && !url.starts_with("https://"))
        return bad_request("", "attach takes http(s) URLs; send files as multipart parts");
      attachment a;
      a.url = std::move(url);
      m.attachments.push_back(std::move(a));
    }
    return std::nullopt;
  }

  static std::optional<refusal> read_message(const json::object& in, message& m) {
    m.body = text_of(in, "body");
    m.title = text_of(in, "title");
    if (m.body.empty()) return bad_request("", "no message body was specified");
    if (const std::string type = text_of(in, "type"); !type.empty()) {
      const auto* t = std::find_if(std::begin(types), std::end(types),
                                   [&](const apprise_type& a) { return a.name == type; });
      if (t == std::end(types))
        return bad_request("", "type must be info, success, warning or failure");
      m.priority = t->level;
      m.tags.emplace_back(t->name);
    }
    if (const std::string format = text_of(in, "format"); !format.empty()) {
      auto f = parse_body_format(format);
      if (!f) return bad_request("", "format must be text, markdown or html");
      m.format = *f;
    }
    if (const json::array* tags = array_of(in, "tag")) {
      for (const auto& t : *tags)
        if (t.is_string()) m.tags.emplace_back(t.as_string());
    } else {
      for (auto& t : split_list(text_of(in, "tag"))) m.tags.push_back(std::move(t));
    }
    if (m.tags.size() > 64) return bad_request("", "at most 64 tags");
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<dialect> make_apprise(ingest_dialect_settings s) {
  return std::make_unique<apprise>(std::move(s));
}

}  // namespace notibus::serve::ingest
