#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "../spool/blobs.hpp"
#include "bus_impl.hpp"
#include "link_store.hpp"

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

// With a spool, the files kept for links go in its links/, hard-linked from
// its blobs (no copy); without one, in memory.
std::shared_ptr<link_store> make_link_store(const config& cfg) {
  if (!cfg.spool) return std::make_shared<link_store>(cfg.attachments);
  return std::make_shared<link_store>(cfg.attachments, cfg.spool->dir / "links",
                                      [dir = cfg.spool->dir](const std::string& id, std::size_t n) {
                                        return spool::blob_dir::file_of(dir, id, n);
                                      });
}

}  // namespace

bus::impl::impl(std::unique_ptr<asio::io_context> own, executor_type ex, const config& cfg,
                plugin_registry& registry, bus_options& options, bus* previous)
    : own_context(std::move(own)),
      executor(std::move(ex)),
      ctx(make_context(options, executor)),
      status(cfg.status.retention, cfg.status.max_entries),
      summary(summarize(cfg)),
      limits_of_attachments(cfg.attachments) {
  // A reload keeps the files kept for links, and the links, going.
  ctx->links = previous ? previous->impl_->ctx->links : make_link_store(cfg);
  ctx->links->configure(cfg.attachments);
  open_channels(cfg, registry, previous);
  try {
    ctx->store =
        open_message_store(cfg, previous ? previous->impl_->ctx->store : nullptr, filtered_log());
  } catch (...) {
    for (auto& r : runners) r->close();
    throw;
  }
}

void bus::impl::open_channels(const config& cfg, plugin_registry& registry, bus* previous) {
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
    auto runner = take_over(previous, ch);
    if (runner) {
      ++taken_over;
    } else {
      runner = std::make_shared<channel_runner>(executor, ch, *plugin, ctx);
      if (auto error = runner->open()) {
        refuse(ch, std::move(*error));
        continue;
      }
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
}

std::shared_ptr<bus::impl> bus::impl::with_own_context(const config& cfg, plugin_registry& registry,
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

log_sink bus::impl::filtered_log() const {
  // The store logs through the bus's level filter (an app's sink may not have one).
  return [sink = ctx->log, min = ctx->min_level](log_level level, std::string_view text) {
    if (level >= min) sink(level, text);
  };
}

void bus::impl::start_adopting(const std::shared_ptr<impl>& self) {
  if (!self->ctx->deliver_from_queue && !self->ctx->store->delivers_what_it_accepts()) return;
  std::weak_ptr<impl> weak = self;
  self->ctx->store->start_adopting(self.get(), [weak](adopted_message& a) {
    auto state = weak.lock();
    if (!state || state->stopping) return false;  // left: another instance or start takes it
    state->adopt(std::move(a));
    return true;
  });
}

void bus::impl::adopt(adopted_message a) {
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

// A stored message this configuration cannot route (its channels are gone):
// logged, and the dead letter's one failed delivery.
channel_delivery bus::impl::unroutable(const std::string& id, error_code ec) const {
  log(log_level::error, "message " + id + " cannot be delivered with this configuration (" +
                            ec.message() + "); kept as a dead letter");
  channel_delivery d;
  d.channel = spool::unroutable_channel;
  d.state = delivery_state::failed;
  d.last_error = "not routable with this configuration: " + ec.message();
  return d;
}

// The previous bus's runner for an unchanged channel, now ours.
std::shared_ptr<channel_runner> bus::impl::take_over(bus* previous, const channel_settings& ch) {
  if (!previous || previous->impl_->executor != executor) return nullptr;
  impl& old = *previous->impl_;
  for (std::size_t i = 0; i < old.runners.size(); ++i) {
    if (old.runners[i]->settings() != ch) continue;
    bool expected = false;
    if (old.handed_over[i].compare_exchange_strong(expected, true)) return old.runners[i];
  }
  return nullptr;
}

bool bus::impl::all_idle() const {
  bool idle = true;
  for_each_own([&](const channel_runner& r) { idle = idle && r.idle(); });
  return idle;
}

void bus::impl::close_all() {
  for_each_own([](channel_runner& r) {
    r.close();
    r.cancel_timers();
  });
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

}  // namespace notibus
