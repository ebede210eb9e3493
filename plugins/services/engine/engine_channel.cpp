// `service`: the engine that runs service definitions (plugins/services/README.md).
// A channel of type `telegram` or `slack` is this plugin with the definition
// the core hands over in the `definition` option; requests go through the
// shared HTTP client, answers are judged by the definition's rules.
#include <notibus/plugin/sdk.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>

#include <compiled_service.hpp>
#include "../../common/http/client.hpp"
#include "../../common/http/redact.hpp"
#include "../../common/http/transport_options.hpp"
#include "request_renderer.hpp"
#include "response_rules.hpp"

namespace notibus::services {
namespace {

using std::chrono::milliseconds;

compiled_service compile_definition(const std::string& definition) {
  std::string error;
  auto s = compiled_service::from_json(definition, error);
  if (!s) throw std::runtime_error(error);
  return std::move(*s);
}

// Who of a for_each list got a message already, or refused it for good (or
// which parts of a split text went), so a retry goes only to the others.
// Bounded: the oldest messages are forgotten.
class recipient_memory {
 public:
  struct state {
    std::set<std::string> delivered;
    std::map<std::string, std::string> refused;  // recipient -> why
  };
  state get(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = states_.find(id);
    return it == states_.end() ? state{} : it->second;
  }
  void put(const std::string& id, state s) {
    std::lock_guard lock(mutex_);
    if (states_.insert_or_assign(id, std::move(s)).second) order_.push_back(id);
    if (order_.size() > 10000) {
      states_.erase(order_.front());
      order_.pop_front();
    }
  }
  void forget(const std::string& id) {
    std::lock_guard lock(mutex_);
    states_.erase(id);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, state> states_;
  std::deque<std::string> order_;
};

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
    const request_renderer renderer(s, values, std::string(view.instance_name()));
    std::string error;
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
  }

  void send(const sdk::message_view& m, sdk::completion done) {
    if (service_.for_each.empty()) return send_one(m, std::move(done));
    send_each(m, std::move(done));
  }

 private:
  // What a delivery report says when the message did not fit the service.
  std::string cut_note(const rendered_request& r) const {
    if (r.text_cut)
      return "text cut to " + std::to_string(service_.text_limit) + " characters (the " +
             service_.name + " limit)";
    if (r.field_cut) return "cut to fit the " + service_.name + " field limits";
    return {};
  }

  // The channel outlives every send until its outcome is reported.
  void send_one(const sdk::message_view& m, sdk::completion done) {
    std::string error;
    auto r = renderer_.render(m, nullptr, error);
    if (!r) return done.permanent("cannot build the request: " + error);
    const std::size_t uploads = service_.upload_steps.empty() ? 0 : m.attachments().size();
    if (r->requests.size() > 1 || uploads > 0) {
      auto run = std::make_shared<sequence>(m, std::move(r->requests), uploads, done);
      run->note = cut_note(*r);
      run->state = memory_.get(run->id);
      return send_next(std::move(run));
    }
    client_->send(std::move(r->requests.front()),
                  [this, done, note = cut_note(*r)](http::result res) mutable {
                    sdk::outcome v = judge(service_, res, std::chrono::system_clock::now());
                    v.error = secrets_.apply(std::move(v.error));
                    if (v.is_delivered()) v.detail = note;
                    done.finish(v);
                  });
  }

  // Requests that go one after the other: the text's (a split text's parts
  // in order), then each file's upload steps (uploads), a step's captures
  // feeding the next. A retry resumes at the first text part or file not
  // delivered; a file whose steps stopped half-way starts over.
  struct sequence {
    sequence(const sdk::message_view& message, std::vector<http::request> t, std::size_t f,
             sdk::completion d)
        : id(message.id()),
          copy(std::make_unique<sdk::message_copy>(message)),
          m(copy->view()),
          texts(std::move(t)),
          files(f),
          done(std::move(d)) {}
    std::string id;
    // The host lends the message only until send() returns; the steps are
    // rendered later, from this copy (its files stay valid until `done`).
    std::unique_ptr<sdk::message_copy> copy;
    sdk::message_view m;
    std::vector<http::request> texts;
    std::size_t files;
    sdk::completion done;
    std::string note;
    recipient_memory::state state;  // delivered: "t<N>" text parts, "f<N>" files
    std::size_t unit = 0;           // texts first, then files
    std::size_t step = 0;           // of the current file's upload
    captured_values captured;

    std::string key() const {
      return unit < texts.size() ? "t" + std::to_string(unit)
                                 : "f" + std::to_string(unit - texts.size());
    }
    // Where an error happened, for the report.
    std::string where(std::size_t steps) const {
      if (unit < texts.size())
        return texts.size() == 1 ? ""
                                 : "part " + std::to_string(unit + 1) + " of " +
                                       std::to_string(texts.size()) + ": ";
      const auto name = m.attachments().at(unit - texts.size()).name;
      return "file " + std::string(name) +
             (steps > 1
                  ? " (step " + std::to_string(step + 1) + " of " + std::to_string(steps) + ")"
                  : "") +
             ": ";
    }
  };

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
                                     run->captured, error);
      if (!r)
        return fail_sequence(*run, sdk::outcome::permanent("cannot build the request: " + error));
      req = std::move(*r);
    }
    client_->send(std::move(req), [this, run, step](http::result res) mutable {
      const auto& rules = step && !step->responses.empty() ? step->responses : service_.responses;
      sdk::outcome v = judge(service_, rules, res, std::chrono::system_clock::now());
      if (v.is_delivered() && step)
        if (auto missing = capture_values(*step, res.resp, run->captured))
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

  void fail_sequence(sequence& run, sdk::outcome v) {
    v.error = run.where(service_.upload_steps.size()) + secrets_.apply(std::move(v.error));
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
  void send_each(const sdk::message_view& m, sdk::completion done) {
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
      auto r = renderer_.render(m, &to, error);
      if (!r) return done.permanent("cannot build the request: " + error);
      if (r->text_cut || r->field_cut) b->note = cut_note(*r);
      requests.emplace_back(to, std::move(r->requests.front()));
    }
    if (requests.empty()) return finish_each(id, *b, done);
    b->waiting = requests.size();
    for (auto& [to, req] : requests)
      client_->send(std::move(req), [this, b, done, id, to = to](http::result res) mutable {
        sdk::outcome v = judge(service_, res, std::chrono::system_clock::now());
        std::lock_guard lock(b->mutex);
        if (v.kind == NOTIBUS_OUTCOME_DELIVERED) {
          b->state.delivered.insert(to);
        } else if (v.kind == NOTIBUS_OUTCOME_PERMANENT) {
          b->state.refused[to] = secrets_.apply(v.error);
        } else {
          b->transient.push_back(to + ": " + secrets_.apply(v.error));
          if (v.retry_after)
            b->retry_after = std::max(b->retry_after.value_or(milliseconds(0)), *v.retry_after);
        }
        if (--b->waiting == 0) finish_each(id, *b, done);
      });
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
  std::unique_ptr<http::client> client_;
};

}  // namespace
}  // namespace notibus::services

NOTIBUS_DEFINE_CHANNEL(
    service, notibus::services::service_engine,
    "Runs the service definitions (slack, telegram, ntfy, ...: notibus plugins).", "1.0.0")
