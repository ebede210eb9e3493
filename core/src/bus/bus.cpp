#include <notibus/bus.hpp>
#include <notibus/plugin_registry.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <future>
#include <stdexcept>
#include <thread>

#include <notibus/plugin/text.hpp>
#include "../store/message_store.hpp"
#include "channel_runner.hpp"
#include "router.hpp"
#include "status_store.hpp"
#include "tracker.hpp"

namespace notibus {

namespace asio = boost::asio;

namespace {

std::shared_ptr<bus_context> make_context(bus_options& options,
                                          const bus::executor_type& executor) {
  auto ctx = std::make_shared<bus_context>();
  ctx->executor = executor;
  ctx->log = options.log ? std::move(options.log) : stderr_log_sink(options.min_log_level);
  ctx->min_level = options.min_log_level;
  ctx->on_dead_letter = std::move(options.on_dead_letter);
  ctx->deliver_from_queue = options.deliver_from_queue;
  return ctx;
}

// Valid UTF-8 without NUL: plugins get C strings, which a NUL would cut short.
bool valid_text(std::string_view s) {
  return sdk::is_valid_utf8(s) && s.find('\0') == std::string_view::npos;
}

bool message_is_valid(const message& m) {
  if (!valid_text(m.topic) || !valid_text(m.title) || !valid_text(m.body)) return false;
  for (const auto& t : m.tags)
    if (!valid_text(t)) return false;
  for (const auto& [k, v] : m.attributes)
    if (!valid_text(k) || !valid_text(v)) return false;
  return true;
}

}  // namespace

struct bus::impl {
  impl(std::unique_ptr<asio::io_context> own, executor_type ex, const config& cfg,
       plugin_registry& registry, bus_options& options, bus* previous = nullptr)
      : own_context(std::move(own)),
        executor(std::move(ex)),
        ctx(make_context(options, executor)),
        status(cfg.status.retention, cfg.status.max_entries),
        summary(summarize(cfg)) {
    std::map<std::string, std::size_t> enabled;
    std::vector<std::string> disabled;
    std::vector<diagnostic> errors;
    auto refuse = [&](const channel_settings& ch, std::string why) {
      errors.push_back({cfg.source, 0, 0, "channels." + ch.name, std::move(why)});
    };
    for (const auto& ch : cfg.channels) {
      if (!ch.enabled) {
        disabled.push_back(ch.name);
        continue;
      }
      const loaded_plugin* plugin = registry.find(ch.plugin.empty() ? ch.type : ch.plugin);
      if (!plugin) {
        refuse(ch, "unknown channel type \"" + ch.type + "\"");
        continue;
      }
      if (auto kept = take_over(previous, ch)) {
        enabled[ch.name] = runners.size();
        runners.push_back(std::move(kept));
        ++taken_over;
        continue;
      }
      auto runner = std::make_shared<channel_runner>(executor, ch, *plugin, ctx);
      if (auto error = runner->open(); !error.empty()) {
        refuse(ch, std::move(error));
        continue;
      }
      enabled[ch.name] = runners.size();
      runners.push_back(std::move(runner));
    }
    if (!errors.empty()) {
      for (auto& r : runners) r->close();
      throw error(std::move(errors), errc::channel_failed);
    }
    routes = std::make_unique<router>(cfg.routes, std::move(enabled), std::move(disabled));
    handed_over = std::make_unique<std::atomic<bool>[]>(runners.size());
    for (std::size_t i = 0; i < runners.size(); ++i) handed_over[i] = false;
    try {
      ctx->store =
          open_message_store(cfg, previous ? previous->impl_->ctx->store : nullptr, filtered_log());
    } catch (...) {
      for (auto& r : runners) r->close();
      throw;
    }
  }

  log_sink filtered_log() const {
    // The store logs through the bus's level filter (an app's sink may not have one).
    return [sink = ctx->log, min = ctx->min_level](log_level level, std::string_view text) {
      if (level >= min) sink(level, text);
    };
  }

  // Messages the store hands over: resumed from the spool at start-up, or
  // fetched from the shared queue. With `deliver_from_queue` off, a shared
  // store's messages are left to the instances that deliver.
  static void start_adopting(const std::shared_ptr<impl>& self) {
    if (!self->ctx->deliver_from_queue && !self->ctx->store->delivers_what_it_accepts()) return;
    std::weak_ptr<impl> weak = self;
    self->ctx->store->start_adopting(self.get(), [weak](adopted_message& a) {
      auto state = weak.lock();
      if (!state || state->stopping) return false;  // left: another instance or start takes it
      state->adopt(std::move(a));
      return true;
    });
  }

  // Routed by the current configuration; channels with a final outcome are
  // not sent again.
  void adopt(adopted_message a) {
    delivery_plan plan;
    if (auto ec = routes->plan(a.msg, plan)) {
      ctx->store->refuse_adopted(unroutable(a.msg.id, ec), std::move(a.msg));
      return;
    }
    auto t = std::make_shared<tracker>(a.msg, nullptr, ctx);
    t->set_plan(plan, runners);
    if (a.accepted_earlier || !a.outcomes.empty()) t->restore(a.outcomes);
    // An id seen here before (a redelivery): the newer tracker is the live one.
    (void)status.insert(t);
    t->set_durable();
    // Not inline: the store's thread must not run deliveries' callbacks.
    asio::post(executor, [t] { tracker::start(t); });
  }

  // A stored message this configuration cannot route (its channels are
  // gone): logged, and the dead letter's one failed delivery.
  channel_delivery unroutable(const std::string& id, error_code ec) const {
    log(log_level::error, "message " + id + " cannot be delivered with this configuration (" +
                              ec.message() + "); kept as a dead letter");
    return {spool::unroutable_channel,
            delivery_state::failed,
            0,
            "not routable with this configuration: " + ec.message(),
            {}};
  }

  void log(log_level level, const std::string& text) const {
    if (ctx->logs(level)) ctx->log(level, text);
  }

  // The previous bus's runner for an unchanged channel, now ours.
  std::shared_ptr<channel_runner> take_over(bus* previous, const channel_settings& ch) {
    if (!previous || previous->impl_->executor != executor) return nullptr;
    impl& old = *previous->impl_;
    for (std::size_t i = 0; i < old.runners.size(); ++i) {
      if (old.runners[i]->settings() != ch) continue;
      bool expected = false;
      if (old.handed_over[i].compare_exchange_strong(expected, true)) return old.runners[i];
    }
    return nullptr;
  }

  // The runners this bus still answers for (not handed to a newer bus).
  template <class F>
  void for_each_own(F f) const {
    for (std::size_t i = 0; i < runners.size(); ++i)
      if (!handed_over[i]) f(*runners[i]);
  }

  bool all_idle() const {
    bool idle = true;
    for_each_own([&](const channel_runner& r) { idle = idle && r.idle(); });
    return idle;
  }

  void close_all() {
    for_each_own([](channel_runner& r) {
      r.close();
      r.cancel_timers();
    });
  }

  static std::shared_ptr<impl> with_own_context(const config& cfg, plugin_registry& registry,
                                                bus_options& options, bus* previous) {
    const unsigned threads = std::max(1u, options.threads);
    auto context = std::make_unique<asio::io_context>(static_cast<int>(threads));
    auto executor = context->get_executor();
    auto self =
        std::make_shared<impl>(std::move(context), executor, cfg, registry, options, previous);
    self->work.emplace(self->own_context->get_executor());
    for (unsigned i = 0; i < threads; ++i)
      self->threads.emplace_back([ctx = self->own_context.get()] { ctx->run(); });
    return self;
  }

  // `accepted` runs once the message is accepted or refused: at once, or (with
  // a durable store) from the store's thread once the message is stored.
  static void publish(const std::shared_ptr<impl>& self, message m, report_completion done,
                      bool refuse_when_full, accepted_completion accepted);
  // Why `m` cannot be taken now (stopping, invalid, no route, a full queue
  // when asked), or nothing, with its delivery plan filled in.
  std::optional<errc> refusal(const message& m, delivery_plan& plan, bool refuse_when_full) const;
  // The report of the first message the store remembers with m's idempotency key.
  std::optional<delivery_report> stored_first(const message& m) const;
  static void start_once_stored(const std::shared_ptr<impl>& self, const message& m,
                                std::shared_ptr<tracker> t, publish_result result,
                                accepted_completion accepted);
  // Stored, and delivered by whichever instance adopts it from the store.
  void hand_to_store(const message& m, const delivery_plan& plan, report_completion done,
                     publish_result result, accepted_completion accepted) const;
  static void stop_after(const std::shared_ptr<impl>& self, std::chrono::milliseconds grace,
                         detail::completion<> done);

  // First member, so destroyed last: the runners' timers belong to it.
  std::unique_ptr<asio::io_context> own_context;  // only when the bus owns its io_context
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  executor_type executor;
  std::shared_ptr<bus_context> ctx;
  std::vector<std::shared_ptr<channel_runner>> runners;
  std::unique_ptr<router> routes;
  std::unique_ptr<std::atomic<bool>[]> handed_over;  // per runner
  std::size_t taken_over = 0;
  status_store status;
  config_summary summary;  // secrets redacted, for a console
  std::atomic<bool> stopping{false};
  std::atomic<bool> stopped{false};
};

bus::bus(const config& cfg, plugin_registry& registry, bus_options options)
    : impl_(impl::with_own_context(cfg, registry, options, nullptr)) {
  impl::start_adopting(impl_);
}

bus::bus(executor_type executor, const config& cfg, plugin_registry& registry, bus_options options)
    : impl_(std::make_shared<impl>(nullptr, std::move(executor), cfg, registry, options)) {
  impl::start_adopting(impl_);
}

bus::bus(reload_tag, bus& previous, const config& cfg, plugin_registry& registry,
         bus_options options) {
  if (previous.impl_->own_context)  // another io_context: only the store is handed over
    impl_ = impl::with_own_context(cfg, registry, options, &previous);
  else
    impl_ = std::make_shared<impl>(nullptr, previous.impl_->executor, cfg, registry, options,
                                   &previous);
  impl::start_adopting(impl_);
}

std::unique_ptr<bus> bus::reload(const config& cfg, plugin_registry& registry,
                                 bus_options options) {
  return std::unique_ptr<bus>(new bus(reload_tag{}, *this, cfg, registry, std::move(options)));
}

bus::~bus() {
  if (!impl_) return;
  impl_->ctx->store->stop_adopting(impl_.get());
  if (impl_->own_context) {
    if (!impl_->stopped) stop(std::chrono::milliseconds(0));
    impl_->work.reset();
    impl_->own_context->stop();
    for (auto& t : impl_->threads) t.join();
  }
  impl_->close_all();
  impl_->ctx->store->detach();
}

bus::executor_type bus::get_executor() const noexcept {
  return impl_->executor;
}

std::string bus::publish(message m) {
  publish_result r = publish_and_wait(std::move(m), false);
  if (r.error) throw boost::system::system_error(r.error);
  return std::move(r.id);
}

publish_result bus::try_publish(message m) {
  return publish_and_wait(std::move(m), true);
}

publish_result bus::publish_and_wait(message m, bool refuse_when_full) {
  if (!impl_->ctx->store->durable()) {  // accepted (or not) before this returns
    publish_result out;
    impl::publish(impl_, std::move(m), nullptr, refuse_when_full,
                  [&out](error_code, publish_result r) { out = std::move(r); });
    return out;
  }
  std::promise<publish_result> accepted;
  auto future = accepted.get_future();
  impl::publish(impl_, std::move(m), nullptr, refuse_when_full,
                [&accepted](error_code, publish_result r) { accepted.set_value(std::move(r)); });
  return future.get();
}

void bus::publish_with(message m, handler<error_code, delivery_report> done) {
  impl::publish(impl_, std::move(m),
                report_completion::from_caller(std::move(done), impl_->ctx->executor), false,
                nullptr);
}

void bus::try_publish_with(message m, handler<error_code, publish_result> accepted) {
  impl::publish(impl_, std::move(m), nullptr, true,
                accepted_completion::from_caller(std::move(accepted), impl_->ctx->executor));
}

namespace {

// Answers both completions of a publish that goes no further (refused, or a
// duplicate): the report's caller and the acceptance's.
void answer_now(report_completion& done, accepted_completion& accepted, error_code ec,
                delivery_report report, publish_result result) {
  if (done) done(ec, std::move(report));
  if (accepted) accepted(ec, std::move(result));
}

}  // namespace

void bus::impl::publish(const std::shared_ptr<impl>& self, message m, report_completion done,
                        bool refuse_when_full, accepted_completion accepted) {
  if (m.id.empty()) m.id = make_message_id();
  if (m.created_at == std::chrono::system_clock::time_point{})
    m.created_at = std::chrono::system_clock::now();
  publish_result result;
  result.id = m.id;
  delivery_plan plan;
  if (const auto refused = self->refusal(m, plan, refuse_when_full)) {
    result.error = make_error_code(*refused);
    delivery_report r;
    r.message_id = m.id;
    return answer_now(done, accepted, result.error, std::move(r), std::move(result));
  }
  if (!self->ctx->store->delivers_what_it_accepts())
    return self->hand_to_store(m, plan, std::move(done), std::move(result), std::move(accepted));
  if (auto first = self->stored_first(m)) {
    // Accepted before (maybe before a restart, or past status.retention).
    first->duplicate = true;  // `delivered` stays as the first message's
    result.id = first->message_id;
    result.duplicate = true;
    return answer_now(done, accepted, error_code{}, std::move(*first), std::move(result));
  }

  auto t = std::make_shared<tracker>(m, std::move(done), self->ctx);  // packs a copy
  t->set_plan(plan, self->runners);
  if (auto first = self->status.insert(t)) {
    // Seen before: report the first message instead of sending again.
    delivery_report r = first->report();
    r.duplicate = true;
    result.id = r.message_id;
    result.duplicate = true;
    t->abandon(std::move(r));
    if (accepted) accepted(error_code{}, std::move(result));
    return;
  }
  if (!self->ctx->store->durable()) {  // nothing to wait for
    tracker::start(t);
    if (accepted) accepted(error_code{}, std::move(result));
    return;
  }
  start_once_stored(self, m, std::move(t), std::move(result), std::move(accepted));
}

std::optional<errc> bus::impl::refusal(const message& m, delivery_plan& plan,
                                       bool refuse_when_full) const {
  if (stopping.load(std::memory_order_relaxed)) return errc::stopped;
  if (!message_is_valid(m) || !packed_message::fits(m)) return errc::invalid_message;
  if (auto ec = routes->plan(m, plan)) return static_cast<errc>(ec.value());
  if (refuse_when_full)
    for (const auto& g : plan.groups)
      for (std::size_t index : g.channels)
        if (runners[index]->full()) return errc::queue_full;
  return std::nullopt;
}

std::optional<delivery_report> bus::impl::stored_first(const message& m) const {
  if (!m.idempotency_key) return std::nullopt;
  const auto first_id = ctx->store->first_with_key(*m.idempotency_key);
  if (!first_id) return std::nullopt;
  auto first = status.find(*first_id);
  delivery_report r = first ? first->report() : delivery_report{};
  r.message_id = *first_id;
  return r;
}

// Accepted only once stored; delivery starts then too, so nothing is sent
// that a crash could forget.
void bus::impl::start_once_stored(const std::shared_ptr<impl>& self, const message& m,
                                  std::shared_ptr<tracker> t, publish_result result,
                                  accepted_completion accepted) {
  // Shared: the store's callback is a std::function, the completion move-only.
  auto stored = std::make_shared<accepted_completion>(std::move(accepted));
  self->ctx->store->keep(
      m, {},
      [t = std::move(t), result, accepted = std::move(stored), state = self](
          error_code ec, std::optional<std::string>) mutable {
        if (ec) {
          result.error = ec;
          state->status.forget_key(*t);  // a retry with the same key must get through
          t->refuse(ec);
        } else {
          t->set_durable();
          // Not inline: a full queue fails a delivery at once, and the dead-letter
          // callback must not run (and maybe publish, and wait) on the store's thread.
          asio::post(state->executor, [t] { tracker::start(t); });
        }
        if (*accepted) (*accepted)(result.error, std::move(result));
      });
}

void bus::impl::hand_to_store(const message& m, const delivery_plan& plan, report_completion done,
                              publish_result result, accepted_completion accepted) const {
  // What status() answers on any instance until one delivers it.
  delivery_report pending;
  pending.message_id = m.id;
  for (const auto& g : plan.groups)
    for (std::size_t index : g.channels)
      pending.channels.push_back({runners[index]->name(), delivery_state::pending, 0, {}, {}});
  // Shared: the store's callback is a std::function, the completions move-only.
  auto answers = std::make_shared<std::pair<report_completion, accepted_completion>>(
      std::move(done), std::move(accepted));
  ctx->store->keep(
      m, pending,
      [answers, result, pending](error_code ec, std::optional<std::string> first) mutable {
        delivery_report r = pending;
        result.error = ec;
        if (first) {
          result.id = r.message_id = *first;
          result.duplicate = r.duplicate = true;
        }
        answer_now(answers->first, answers->second, ec, std::move(r), std::move(result));
      });
}

void bus::stop_with(std::chrono::milliseconds grace, handler<> caller) {
  impl::stop_after(impl_, grace,
                   detail::completion<>::from_caller(std::move(caller), impl_->ctx->executor));
}

void bus::impl::stop_after(const std::shared_ptr<impl>& self, std::chrono::milliseconds grace,
                           detail::completion<> done) {
  self->stopping = true;
  auto timer = std::make_shared<asio::steady_timer>(self->executor);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  auto state = self;
  auto aborted = std::make_shared<bool>(false);
  // Polling keeps the runners free of stop bookkeeping on their hot path; 5 ms
  // is far below any grace period anyone configures.
  auto check = std::make_shared<std::function<void()>>();
  // Shared: std::function needs a copyable target, the completion is move-only.
  auto finish = std::make_shared<detail::completion<>>(std::move(done));
  *check = [state, timer, deadline, aborted, finish, check]() mutable {
    if (state->all_idle()) {
      state->stopped = true;
      auto done_once = finish;  // this lambda and its captures go on the next line
      *check = nullptr;         // break the self-reference
      if (*done_once) (*done_once)();
      return;
    }
    if (!*aborted && std::chrono::steady_clock::now() >= deadline) {
      *aborted = true;
      state->ctx->aborting = true;
      state->for_each_own(
          [](channel_runner& r) { r.abort("bus stopped before delivery (grace period over)"); });
    }
    timer->expires_after(std::chrono::milliseconds(5));
    timer->async_wait([check](boost::system::error_code) {
      if (*check) (*check)();
    });
  };
  asio::post(self->executor, [check] { (*check)(); });
}

void bus::stop(std::chrono::milliseconds grace) {
  std::promise<void> finished;
  impl::stop_after(impl_, grace, [&finished] { finished.set_value(); });
  finished.get_future().wait();
}

std::optional<delivery_report> bus::status(std::string_view message_id) const {
  if (auto t = impl_->status.find(message_id); t && !t->handed_back()) return t->report();
  // Delivered (or being delivered) by another instance, or before a restart.
  return impl_->ctx->store->status(std::string(message_id));
}

std::optional<delivery_report> bus::status_by_key(std::string_view key) const {
  if (auto t = impl_->status.find_key(key)) return t->report();
  return std::nullopt;
}

message_page bus::recent(const message_query& query) const {
  message_page page;
  // Walked under the status store's lock: the check is cheap (no report
  // built), reports are made for the ones listed only.
  for (const auto& t : impl_->status.newest(
           query.limit, query.after,
           [&](const tracker& t) {
             if (t.handed_back()) return false;  // back in the shared queue: its state is there
             return !query.state || *query.state == t.overall();
           },
           page.next_after))
    page.messages.push_back(t->report());
  return page;
}

const config_summary& bus::configuration() const noexcept {
  return impl_->summary;
}

std::size_t bus::channels_kept() const noexcept {
  return impl_->taken_over;
}

std::optional<spool_stats> bus::spool_stats() const {
  return impl_->ctx->store->spool_stats();
}

std::optional<notibus::queue_stats> bus::queue_stats() const {
  return impl_->ctx->store->queue_stats();
}

dead_letter_page bus::dead_letters(const dead_letter_query& q) const {
  return impl_->ctx->store->dead_letters(q);
}

std::optional<publish_result> bus::retry_dead_letter(const std::string& message_id) {
  message_store& store = *impl_->ctx->store;
  const auto dead = store.dead_letter(message_id);
  if (!dead) return std::nullopt;
  publish_result r = publish_and_wait(spool::retry_copy(*dead), true);
  // Only once the copy is stored: a crash in between retries twice, never not at all.
  if (!r.error) store.clear_dead_letter(message_id);
  return r;
}

bool bus::purge_dead_letter(const std::string& message_id) {
  return impl_->ctx->store->clear_dead_letter(message_id);
}

std::vector<channel_stats> bus::stats() const {
  std::vector<channel_stats> out;
  for (const auto& r : impl_->runners) out.push_back(r->stats());
  return out;
}

}  // namespace notibus
