// The Alertmanager and Grafana webhook dialects. Both answer 200 with the
// ids, errors as {"status": "error", "error": ...}: Alertmanager retries a
// 5xx and gives up on a 4xx, which is what each refusal means.
#include "alerts.hpp"

namespace notibus::serve::ingest {
namespace {

class alert_dialect : public dialect {
 public:
  using dialect::dialect;

  http_response accepted(std::string_view, const std::vector<message>&,
                         const std::vector<std::string>& ids) const override {
    return {200,
            {},
            json::serialize(json::object{{"status", "success"}, {"ids", json::value_from(ids)}})};
  }

  http_response refused(const refusal& why) const override {
    http_response r{
        why.status, {}, json::serialize(json::object{{"status", "error"}, {"error", why.detail}})};
    if (!why.retry_after.empty()) r.headers.emplace_back("Retry-After", why.retry_after);
    return r;
  }

 protected:
  static mapped refuse(refusal why) { return mapped::refuse(std::move(why)); }
};

class alertmanager final : public alert_dialect {
 public:
  using alert_dialect::alert_dialect;

  mapped map(const http_request& req, std::string_view) const override {
    if (req.method != "POST") return refuse({405, "", "use POST"});
    json_arena arena;
    refusal why;
    auto o = parse_object(req.body, why, arena.storage());
    if (!o) return refuse(why);
    alert_group g(std::move(*o));
    if (auto no = read_alert_group(g)) return refuse(*no);
    return mapped::publish(alert_messages(g, base_message(), settings().per_alert));
  }
};

// Grafana's unified alerting webhook (the Alertmanager payload plus title,
// message, state and per-alert dashboard, panel, silence and image URLs),
// and the legacy one (ruleName, ruleUrl, state, message, imageUrl).
class grafana final : public alert_dialect {
 public:
  using alert_dialect::alert_dialect;

  mapped map(const http_request& req, std::string_view) const override {
    if (req.method != "POST") return refuse({405, "", "use POST"});
    if (auto no = check_signature(req)) return refuse(*no);
    json_arena arena;
    refusal why;
    auto o = parse_object(req.body, why, arena.storage());
    if (!o) return refuse(why);
    if (!o->contains("alerts")) return legacy(*o);
    alert_group g(std::move(*o));
    if (auto no = read_alert_group(g)) return refuse(*no);
    std::vector<message> out = alert_messages(g, base_message(), settings().per_alert);
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!settings().per_alert) add_grafana_text(g.payload, out[i]);
      for (std::size_t a = 0; a < g.alerts.size(); ++a)
        if (!settings().per_alert || a == i) {
          add_links(*g.alerts[a], out[i]);
          attach_image(text_of(*g.alerts[a], "imageURL"), out[i]);
        }
    }
    return mapped::publish(std::move(out));
  }

 private:
  std::optional<refusal> check_signature(const http_request& req) const {
    const auto& s = settings();
    if (s.hmac_secret.empty()) return std::nullopt;
    const std::string* given = req.header("x-grafana-alerting-signature");
    std::string signed_text = req.body;
    if (!s.hmac_timestamp_header.empty()) {
      std::string name = s.hmac_timestamp_header;
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::string* ts = req.header(name);
      if (!ts) return refusal{401, "unauthorized", "the signature's timestamp header is missing"};
      signed_text = *ts + ":" + req.body;
    }
    if (!given || !signature_matches(s.hmac_secret, signed_text, *given))
      return refusal{401, "unauthorized", "the signature (X-Grafana-Alerting-Signature) is wrong"};
    return std::nullopt;
  }

  // An alert's image (a panel's screenshot) as a file, fetched under the
  // address guard like any URL attachment; optional, as its link stays in
  // the text: an image that cannot be fetched never costs the alert.
  void attach_image(const std::string& url, message& m) const {
    if (!settings().attach_images || url.empty()) return;
    for (const auto& a : m.attachments)
      if (a.url == url) return;
    attachment image;
    image.url = url;
    image.optional = true;
    m.attachments.push_back(std::move(image));
  }

  // Grafana's own title and message, when its template gave them.
  static void add_grafana_text(const json::object& payload, message& m) {
    if (auto title = text_of(payload, "title"); !title.empty()) m.title = title;
    if (auto text = text_of(payload, "message"); !text.empty()) {
      m.body = text;
      m.format = body_format::text;
    }
    if (auto state = text_of(payload, "state"); !state.empty())
      m.attributes["grafana.state"] = state;
  }

  static void add_links(const json::object& alert, message& m) {
    const bool markdown = m.format == body_format::markdown;
    for (auto [key, label] : {std::pair{"dashboardURL", "Dashboard"},
                              {"panelURL", "Panel"},
                              {"imageURL", "Image"},
                              {"silenceURL", "Silence"}}) {
      const std::string url = text_of(alert, key);
      if (url.empty() || m.body.find(url) != std::string::npos) continue;
      m.body += markdown ? "\n[" + std::string(label) + "](" + url + ")"
                         : "\n" + std::string(label) + ": " + url;
    }
  }

  mapped legacy(const json::object& o) const {
    message m = base_message();
    const std::string state = text_of(o, "state");
    m.title = text_of(o, "title");
    if (m.title.empty()) m.title = text_of(o, "ruleName");
    m.body = text_of(o, "message");
    if (m.title.empty() && m.body.empty())
      return refuse(bad_request("missing_field", "title, ruleName or message is needed"));
    if (m.body.empty()) m.body = m.title;
    for (auto [key, label] : {std::pair{"ruleUrl", "Rule"}, {"imageUrl", "Image"}})
      if (auto url = text_of(o, key); !url.empty())
        m.body += "\n" + std::string(label) + ": " + url;
    attach_image(text_of(o, "imageUrl"), m);
    m.priority = state == "alerting" ? priority::high : priority::normal;
    if (!state.empty()) {
      m.tags.push_back(state);
      m.attributes["grafana.state"] = state;
    }
    return mapped::publish(std::move(m));
  }
};

}  // namespace

std::unique_ptr<dialect> make_alertmanager(ingest_dialect_settings s) {
  return std::make_unique<alertmanager>(std::move(s));
}

std::unique_ptr<dialect> make_grafana(ingest_dialect_settings s) {
  return std::make_unique<grafana>(std::move(s));
}

}  // namespace notibus::serve::ingest
