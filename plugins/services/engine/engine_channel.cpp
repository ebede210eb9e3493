// `service`: the engine that runs service definitions (plugins/services/README.md).
// A channel of type `telegram` or `slack` is this plugin with the definition
// the core hands over in the `definition` option; requests go through the
// shared HTTP client, answers are judged by the definition's rules.
#include <notibus/plugin/sdk.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include <compiled_service.hpp>
#include "../../common/http/address_class.hpp"
#include "../../common/http/client.hpp"
#include "../../common/http/redact.hpp"
#include "../../common/http/transport_options.hpp"
#include "recipient_memory.hpp"
#include "request_renderer.hpp"
#include "response_rules.hpp"
#include "sequence.hpp"
#include "token_cache.hpp"

namespace notibus::services {
namespace {

using std::chrono::milliseconds;

compiled_service compile_definition(const std::string& definition) {
  std::string error;
  auto s = compiled_service::from_json(definition, error);
  if (!s) throw std::runtime_error(error);
  return std::move(*s);
}

class service_engine {
 public:
  // The definition and the HTTP transport; the service's own options (its
  // definition declares them, the core checked them) are read through the view.
  struct config {
    std::string definition;
    std::string render;
    overflow_mode overflow = overflow_mode::cut;
    http::transport_config transport;
  };

  static const sdk::schema<config>& schema() {
    static const auto s =
        sdk::schema<config>()
            .field("definition", &config::definition,
                   "The service definition; set by notibus for a service type, not by hand.")
            .field("render", &config::render,
                   "How a Markdown or HTML body is written for this channel instead of the "
                   "service's own way: text, markdown, discord, slack, google_chat, "
                   "rocket_chat, teams, html, telegram or pushover.")
            .choice("overflow", &config::overflow,
                    {{"cut", overflow_mode::cut}, {"split", overflow_mode::split}},
                    "A text over the service's limit: cut (ending with \"…\") or split into "
                    "numbered messages sent in order.")
            .include(&config::transport, http::transport_schema());
    return s;
  }

  // The definition was checked by the core; what is left is whether the
  // options make a request: the URL must come out as an http(s) URL.
  static void validate(const config& c, sdk::config_view& view) {
    if (c.definition.empty()) {
      view.error("type", "the service engine runs service types (telegram, slack, ...); use one");
      return;
    }
    const compiled_service s = compile_definition(c.definition);
    if (!c.render.empty() && !renderer_named(c.render))
      view.error("render", "unknown renderer \"" + c.render +
                               "\" (text, markdown, discord, slack, google_chat, rocket_chat, "
                               "teams, html, telegram, pushover)");
    if (c.overflow == overflow_mode::split && !s.for_each.empty())
      view.error("overflow", "split is not available for " + s.name +
                                 ": it sends one request per recipient; use cut");
    const option_values values = read_options(s, view);
    if (!s.recipient_kinds.empty())
      if (auto why = s.recipient_refusal(values.at(s.for_each).list))
        view.error(s.for_each.c_str(), *why);
    const request_renderer renderer(s, values, std::string(view.instance_name()));
    std::string error, option;
    if (!renderer.jwt_key_usable(option, error)) view.error(option.c_str(), error);
    if (http::parse_url(renderer.base_url(), error))
      return http::validate_transport(c.transport, view);
    // Name the option the URL starts with (webhook_url, server...) if there is one.
    const placeholder* lead = s.request.url.parts().empty() || s.request.url.parts()[0].literal()
                                  ? nullptr
                                  : &s.request.url.parts()[0].value;
    const std::string key =
        lead && lead->name.substr(0, 8) == "options." ? lead->name.substr(8) : "type";
    view.error(key.c_str(), "the service URL made from it is not usable: " + error);
  }

  service_engine(const config& c, const sdk::config_view& view)
      : service_(compile_definition(c.definition)),
        values_(read_options(service_, view)),
        renderer_(service_, values_, std::string(view.instance_name()), c.render, c.overflow) {
    std::string error;
    const auto base = http::parse_url(renderer_.base_url(), error);  // checked by validate()
    if (base) secrets_.add_url(*base);
    for (const auto& [name, type] : service_.option_types)
      if (view.is_sensitive(name.c_str()))
        if (auto v = view.get_string(name.c_str())) secrets_.add(*v);

    http::client_settings s =
        http::transport_settings(c.transport, base.value_or(http::target_url{}), view);
    s.user_agent = "notibus/" NOTIBUS_VERSION_STRING " (service " + service_.name + ")";
    client_ = std::make_unique<http::client>(s);  // throws for unreadable TLS files
    if (std::any_of(service_.upload_steps.begin(), service_.upload_steps.end(), answered_url)) {
      service_url_ = base.value_or(http::target_url{});
      s.address_guard = http::answered_url_guard(service_url_);
      answered_client_ = std::make_unique<http::client>(s);
    }
    if (service_.token) tokens_ = std::make_unique<token_cache>(service_, renderer_, *client_);
  }

  void send(const sdk::message_view& m, sdk::completion done) {
    if (!tokens_) return dispatch(m, nullptr, nullptr, std::move(done));
    // The token may come later, on the client's thread, and a refused token
    // renders the request again: the message is copied (the host lends it
    // only until send() returns).
    auto copy = std::make_shared<sdk::message_copy>(m);
    tokens_->get([this, copy, done = std::move(done)](token_cache::answer a) mutable {
      if (!a.token) {  // the token endpoint's words may quote what it was sent
        a.failure.error = scrub(std::move(a.failure.error));
        return done.finish(a.failure);
      }
      dispatch(copy->view(), std::move(a.token), copy, std::move(done));
    });
  }

 private:
  using token_values = token_cache::values;
  using message_ptr = std::shared_ptr<sdk::message_copy>;

  void dispatch(const sdk::message_view& m, token_values token, message_ptr copy,
                sdk::completion done) {
    if (service_.for_each.empty()) return send_one(m, std::move(token), copy, std::move(done));
    send_each(m, std::move(token), copy, std::move(done));
  }

  // A step whose URL leads with what an answer gave ({{step.upload_url}}).
  static bool answered_url(const request_spec& step) {
    const auto& parts = step.url.parts();
    if (parts.empty() || parts[0].literal()) return false;
    const std::string& lead = parts[0].value.name;
    return lead.rfind("step.", 0) == 0 || lead.rfind("token.", 0) == 0;
  }

  // A request's answer, or why no new token could be had after a refusal.
  struct reply {
    http::result result;
    std::optional<sdk::outcome> token_failure;
    token_values token;  // what the request went with: a fresh token after a refusal
  };
  // Renders a request again with another token.
  using remaker =
      std::function<std::optional<http::request>(const captured_values*, std::string& error)>;

  // Sends `req`; when the service says its token was refused (token.refresh),
  // gets a new token and sends the request once more, rendered with it.
  template <class Then>  // void(reply)
  void transmit(http::request&& req, token_values token, remaker remake, Then then) {
    transmit(*client_, std::move(req), std::move(token), std::move(remake), std::move(then));
  }
  template <class Then>
  void transmit(http::client& client, http::request&& req, token_values token, remaker remake,
                Then then) {
    if (!token)  // no token to refuse: the answer as it comes
      return client.send(std::move(req), [then = std::move(then)](http::result res) mutable {
        then(reply{std::move(res), std::nullopt, nullptr});
      });
    client.send(std::move(req), [this, &client, token, remake = std::move(remake),
                                 then = std::move(then)](http::result res) mutable {
      if (!tokens_->refused(res)) return then({std::move(res), std::nullopt, token});
      tokens_->drop(token);
      tokens_->get([&client, res = std::move(res), remake = std::move(remake),
                    then = std::move(then)](token_cache::answer a) mutable {
        if (!a.token) return then({std::move(res), std::move(a.failure), nullptr});
        std::string error;
        auto again = remake(a.token.get(), error);
        if (!again)
          return then({std::move(res),
                       sdk::outcome::permanent("cannot build the request: " + error), nullptr});
        client.send(std::move(*again), [token = a.token, then](http::result second) mutable {
          then({std::move(second), std::nullopt, token});
        });
      });
    });
  }

  sdk::outcome verdict(const std::vector<response_rule>& rules, const reply& r) const {
    sdk::outcome v = r.token_failure
                         ? *r.token_failure
                         : judge(rules, service_.error, r.result, std::chrono::system_clock::now());
    if (!v.error.empty()) v.error = scrub(std::move(v.error));
    return v;
  }

  // Secrets out of a text an error shows: the options', the token's.
  std::string scrub(std::string text) const {
    text = secrets_.apply(std::move(text));
    return tokens_ ? tokens_->redact(std::move(text)) : text;
  }

  // What a delivery report says when the message did not fit the service.
  std::string cut_note(const rendered_request& r) const {
    if (r.text_cut)
      return "text cut to " + std::to_string(service_.text_limit) + " characters (the " +
             service_.name + " limit)";
    if (r.field_cut) return "cut to fit the " + service_.name + " field limits";
    return {};
  }

  // The channel outlives every send until its outcome is reported. `copy`:
  // the message kept for a render with a new token (null without a token).
  void send_one(const sdk::message_view& m, token_values token, message_ptr copy,
                sdk::completion done) {
    std::string error;
    auto r = renderer_.render(m, nullptr, token.get(), error);
    if (!r) return done.permanent("cannot build the request: " + error);
    const std::size_t uploads = service_.upload_steps.empty() ? 0 : m.attachments().size();
    if (r->requests.size() > 1 || uploads > 0) {
      auto run = std::make_shared<sequence>(m, std::move(r->requests), uploads, done);
      run->note = cut_note(*r);
      run->state = memory_.get(run->id);
      run->token = std::move(token);
      return send_next(std::move(run));
    }
    remaker remake;
    if (copy)
      remake = [this, copy](const captured_values* t, std::string& e) {
        auto again = renderer_.render(copy->view(), nullptr, t, e);
        return again ? std::optional(std::move(again->requests.front())) : std::nullopt;
      };
    transmit(std::move(r->requests.front()), std::move(token), std::move(remake),
             [this, done, note = cut_note(*r)](reply answer) mutable {
               sdk::outcome v = verdict(service_.responses, answer);
               if (v.is_delivered()) v.detail = note;
               done.finish(v);
             });
  }

  void send_next(std::shared_ptr<sequence> run) {
    const std::size_t units = run->texts.size() + run->files;
    while (run->unit < units && run->state.delivered.count(run->key())) ++run->unit;
    if (run->unit == units) return finish_sequence(*run);
    const request_spec* step = nullptr;
    http::request req;
    if (run->unit < run->texts.size()) {
      req = std::move(run->texts[run->unit]);
    } else {
      step = &service_.upload_steps.at(run->step);
      std::string error;
      auto r = renderer_.render_step(run->m, run->unit - run->texts.size(), run->step,
                                     run->captured, run->token.get(), error);
      if (!r)
        return fail_sequence(*run, sdk::outcome::permanent("cannot build the request: " + error));
      req = std::move(*r);
      if (answered_url(*step))
        if (auto why = http::answered_url_refusal(service_url_, req.url))
          return fail_sequence(*run, sdk::outcome::permanent(*why));
    }
    remaker remake;
    if (run->token)
      remake = [this, run](const captured_values* t, std::string& e) {
        return rerender(*run, t, e);
      };
    http::client& via = step && answered_url(*step) ? *answered_client_ : *client_;
    transmit(via, std::move(req), run->token, std::move(remake), [this, run, step](reply answer) {
      if (answer.token) run->token = answer.token;
      const auto& rules = step && !step->responses.empty() ? step->responses : service_.responses;
      sdk::outcome v = verdict(rules, answer);
      if (v.is_delivered() && step)
        if (auto missing = capture_values(*step, answer.result.resp, run->captured))
          v = sdk::outcome::permanent("the answer has no " + *missing);
      if (!v.is_delivered()) return fail_sequence(*run, std::move(v));
      if (step && ++run->step < service_.upload_steps.size()) return send_next(std::move(run));
      run->state.delivered.insert(run->key());
      ++run->unit;
      run->step = 0;
      run->captured.clear();
      send_next(std::move(run));
    });
  }

  // The sequence's current request, rendered with another token.
  std::optional<http::request> rerender(const sequence& run, const captured_values* token,
                                        std::string& error) const {
    if (run.unit >= run.texts.size())
      return renderer_.render_step(run.m, run.unit - run.texts.size(), run.step, run.captured,
                                   token, error);
    auto again = renderer_.render(run.m, nullptr, token, error);
    return again ? std::optional(std::move(again->requests.at(run.unit))) : std::nullopt;
  }

  void fail_sequence(sequence& run, sdk::outcome v) {
    v.error = run.where(service_.upload_steps.size()) + scrub(std::move(v.error));
    if (v.kind == NOTIBUS_OUTCOME_TRANSIENT)
      memory_.put(run.id, run.state);
    else
      memory_.forget(run.id);
    run.done.finish(v);
  }

  void finish_sequence(sequence& run) {
    memory_.forget(run.id);
    std::string note = run.note;
    if (run.texts.size() > 1)
      note = "sent in " + std::to_string(run.texts.size()) + " parts (the " + service_.name +
             " limit is " + std::to_string(service_.text_limit) + ")";
    run.done.delivered(note);
  }

  // One request per item of the for_each list (Twilio: one SMS per number).
  // Delivered when every recipient got it or refused it for good and at
  // least one got it; transient while any failed transiently.
  void send_each(const sdk::message_view& m, token_values token, message_ptr copy,
                 sdk::completion done) {
    const std::string id(m.id());
    struct batch {
      std::mutex mutex;
      recipient_memory::state state;
      std::size_t waiting = 0;
      std::vector<std::string> transient;
      std::optional<milliseconds> retry_after;
      std::string note;
    };
    auto b = std::make_shared<batch>();
    b->state = memory_.get(id);
    std::vector<std::pair<std::string, http::request>> requests;
    for (const auto& to : values_.at(service_.for_each).list) {
      if (b->state.delivered.count(to) || b->state.refused.count(to)) continue;
      std::string error;
      auto r = renderer_.render(m, &to, token.get(), error);
      if (!r) return done.permanent("cannot build the request: " + error);
      if (r->text_cut || r->field_cut) b->note = cut_note(*r);
      requests.emplace_back(to, std::move(r->requests.front()));
    }
    if (requests.empty()) return finish_each(id, *b, done);
    b->waiting = requests.size();
    for (auto& [to, req] : requests) {
      remaker remake;
      if (copy)
        remake = [this, copy, to = to](const captured_values* t, std::string& e) {
          auto again = renderer_.render(copy->view(), &to, t, e);
          return again ? std::optional(std::move(again->requests.front())) : std::nullopt;
        };
      transmit(std::move(req), token, std::move(remake),
               [this, b, done, id, to = to](reply answer) mutable {
                 sdk::outcome v = verdict(service_.responses, answer);
                 std::lock_guard lock(b->mutex);
                 if (v.kind == NOTIBUS_OUTCOME_DELIVERED) {
                   b->state.delivered.insert(to);
                 } else if (v.kind == NOTIBUS_OUTCOME_PERMANENT) {
                   b->state.refused[to] = v.error;
                 } else {
                   b->transient.push_back(to + ": " + v.error);
                   if (v.retry_after)
                     b->retry_after =
                         std::max(b->retry_after.value_or(milliseconds(0)), *v.retry_after);
                 }
                 if (--b->waiting == 0) finish_each(id, *b, done);
               });
    }
  }

  void finish_each(const std::string& id, const auto& b, sdk::completion& done) {
    std::string refused;
    for (const auto& [to, why] : b.state.refused)
      refused += (refused.empty() ? "" : "; ") + to + " (" + why + ")";
    if (!b.transient.empty()) {
      memory_.put(id, b.state);
      std::string error = b.transient.front();
      if (b.transient.size() > 1)
        error += " (and " + std::to_string(b.transient.size() - 1) + " more)";
      return done.transient(error, b.retry_after);
    }
    memory_.forget(id);
    if (b.state.delivered.empty())
      return done.permanent(b.state.refused.size() == 1 ? b.state.refused.begin()->second
                                                        : "every recipient refused: " + refused);
    std::string note = b.note;
    if (!refused.empty())
      note += (note.empty() ? "" : "; ") + std::string("refused recipients: ") + refused;
    done.delivered(note);
  }

  compiled_service service_;
  option_values values_;
  request_renderer renderer_;
  http::redactor secrets_;  // cut out of answers quoted in errors
  recipient_memory memory_;
  // Declared before the client, so it outlives the client's last callback.
  std::unique_ptr<token_cache> tokens_;
  std::unique_ptr<http::client> client_;
  // Steps whose URL an answer gave go through a client of their own, whose
  // address guard keeps them where the service's own URL could lead.
  http::target_url service_url_;
  std::unique_ptr<http::client> answered_client_;
};

}  // namespace
}  // namespace notibus::services

NOTIBUS_DEFINE_CHANNEL(
    service, notibus::services::service_engine,
    "Runs the service definitions (slack, telegram, ntfy, ...: notibus plugins).", "1.0.0")
