#include "console_api.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <charconv>

#include "dead_letter_json.hpp"
#include "message_request.hpp"

namespace notibus::serve {

namespace json = boost::json;

namespace {

http_response bad_parameter(const std::string& name, const std::string& why) {
  return {400, {}, error_json({400, "invalid_parameter", why, name})};
}

// A page size: 1 to 1000.
bool parse_limit(std::string_view text, std::size_t& limit) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n < 1 || n > 1000) return false;
  limit = n;
  return true;
}

http_response bad_limit() {
  return bad_parameter("limit", "limit is a number from 1 to 1000");
}

// The upper bound (seconds) under which `q` of the deliveries fell, from the
// cumulative histogram; 0 when there are none.
double quantile(const channel_stats& s, double q) {
  if (s.latency_buckets.empty() || s.delivered == 0) return 0;
  const double wanted = q * static_cast<double>(s.delivered);
  for (std::size_t i = 0; i < s.latency_buckets.size(); ++i)
    if (static_cast<double>(s.latency_buckets[i]) >= wanted) return latency_bucket_bounds[i];
  return latency_bucket_bounds[std::size(latency_bucket_bounds) - 1];  // beyond the last bound
}

// failing: its latest word was a failure; busy: work waiting; idle; ok.
const char* state_of(const channel_stats& s) {
  if (s.last_error_at_ms > s.last_delivered_at_ms) return "failing";
  if (s.retrying) return "retrying";
  if (s.queued || s.inflight) return "busy";
  return s.delivered ? "ok" : "idle";
}

}  // namespace

json::object report_json(const delivery_report& r) {
  json::array channels;
  for (const auto& c : r.channels) {
    json::object o{{"channel", c.channel},
                   {"state", std::string(to_string(c.state))},
                   {"attempts", c.attempts},
                   {"last_error", c.last_error},
                   {"detail", c.detail}};
    if (!c.attachments.empty()) {
      json::array fates;
      for (auto f : c.attachments) fates.push_back(json::string(to_string(f)));
      o["attachments"] = std::move(fates);
    }
    channels.push_back(std::move(o));
  }
  json::object out{{"id", r.message_id},
                   {"source", r.source.empty() ? std::string_view(api_source) : r.source},
                   {"finished", r.finished()},
                   {"delivered", r.all_delivered()},
                   {"channels", std::move(channels)}};
  if (r.attachments) {
    json::array files;
    for (const auto& a : *r.attachments)
      files.push_back(json::object{{"name", a.name}, {"type", a.media_type}, {"size", a.size}});
    out["attachments"] = std::move(files);
  }
  return out;
}

// The query's parameters: `limit` and `after` (paging) into `limit` and
// `after`, any other handed to `other`, which returns nullopt for one it takes
// and a 400 for one it does not. A 400 if any is bad.
template <class Other>
std::optional<http_response> read_query(std::string_view target, std::size_t& limit,
                                        std::string& after, Other other) {
  const auto url = boost::urls::parse_origin_form(target);
  if (!url) return bad_parameter("", "the query string does not parse");
  for (const auto& p : url->params()) {
    if (p.key == "limit") {
      if (!parse_limit(p.value, limit)) return bad_limit();
    } else if (p.key == "after") {
      after = p.value;
    } else if (auto refused = other(p.key, p.value)) {
      return refused;
    }
  }
  return std::nullopt;
}

http_response list_messages(const bus& b, std::string_view target) {
  message_query q;
  std::string key;
  auto refused = read_query(
      target, q.limit, q.after,
      [&](const std::string& name, const std::string& value) -> std::optional<http_response> {
        if (name == "state") {
          if (value == "pending")
            q.state = message_state::pending;
          else if (value == "delivered")
            q.state = message_state::delivered;
          else if (value == "failed")
            q.state = message_state::failed;
          else if (!value.empty())
            return bad_parameter("state", "state is pending, delivered or failed");
        } else if (name == "key") {
          key = value;
        } else {
          return bad_parameter(name, "unknown parameter (limit, after, state, key)");
        }
        return std::nullopt;
      });
  if (refused) return std::move(*refused);
  json::array out;
  message_page page;
  if (!key.empty()) {
    if (auto r = b.status_by_key(key)) out.push_back(report_json(*r));
  } else {
    page = b.recent(q);
    for (const auto& r : page.messages) out.push_back(report_json(r));
  }
  json::object body{{"messages", std::move(out)}};
  if (!page.next_after.empty()) body["next_after"] = page.next_after;
  return {200, {}, json::serialize(body)};
}

http_response list_dead_letters(const bus* b, std::string_view target) {
  dead_letter_query q;
  auto refused =
      read_query(target, q.limit, q.after, [](const std::string& name, const std::string&) {
        return std::optional(bad_parameter(name, "unknown parameter (limit, after)"));
      });
  if (refused) return std::move(*refused);
  const dead_letter_page page = b ? b->dead_letters(q) : dead_letter_page{};
  json::object body{{"dead_letters", dead_letters_json(page.dead_letters)}};
  if (!page.next_after.empty()) body["next_after"] = page.next_after;
  return {200, {}, json::serialize(body)};
}

json::object channels_json(const bus& b) {
  json::array out;
  for (const auto& s : b.stats())
    out.push_back(json::object{{"name", s.name},
                               {"type", s.type},
                               {"state", state_of(s)},
                               {"queued", s.queued},
                               {"inflight", s.inflight},
                               {"retrying", s.retrying},
                               {"published", s.published},
                               {"delivered", s.delivered},
                               {"failed", s.failed},
                               {"retried", s.retried},
                               {"dropped", s.dropped},
                               {"p50_seconds", quantile(s, 0.5)},
                               {"p99_seconds", quantile(s, 0.99)},
                               {"last_error", s.last_error},
                               {"last_error_at_ms", s.last_error_at_ms},
                               {"last_delivered_at_ms", s.last_delivered_at_ms}});
  return {{"channels", std::move(out)}};
}

json::object config_json(const bus& b) {
  const config_summary& c = b.configuration();
  json::array channels;
  for (const auto& ch : c.channels) {
    json::object options;
    for (const auto& [k, v] : ch.options) options[k] = v;
    channels.push_back(json::object{{"name", ch.name},
                                    {"type", ch.type},
                                    {"enabled", ch.enabled},
                                    {"options", std::move(options)}});
  }
  json::array routes;
  for (const auto& r : c.routes) routes.push_back(json::string(r));
  json::object out{{"channels", std::move(channels)},
                   {"routes", std::move(routes)},
                   {"durability", c.durability}};
  if (auto s = b.spool_stats())
    out["spool"] = json::object{{"bytes", s->bytes},
                                {"max_bytes", s->max_bytes},
                                {"unfinished", s->unfinished},
                                {"dead_letters", s->dead_letters}};
  if (auto q = b.queue_stats())
    out["queue"] = json::object{{"connected", q->connected},
                                {"accepted", q->accepted},
                                {"fetched", q->fetched},
                                {"acked", q->acked},
                                {"held", q->held},
                                {"pending", q->pending},
                                {"ack_pending", q->ack_pending},
                                {"redelivered", q->redelivered}};
  return out;
}

}  // namespace notibus::serve
