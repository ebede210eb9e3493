// `notibus send`: publish one message and wait for every channel's outcome.
#include <notibus/attachment_fetch.hpp>
#include <notibus/bus.hpp>

#include <notibus/plugin/text.hpp>

#include <cstdio>
#include <future>

#include "cli_args.hpp"
#include "commands.hpp"

namespace notibus::cli {

namespace {

// `--to URL...` without a config: one channel per URL, in a config made here.
std::optional<config> config_of_urls(const std::vector<std::string>& urls,
                                     plugin_registry& registry) {
  std::string yaml = "version: 1\nchannels:\n";
  for (std::size_t i = 0; i < urls.size(); ++i)
    yaml += "  to" + std::to_string(i + 1) + ": {url: \"" + sdk::json_escape(urls[i]) + "\"}\n";
  load_default_modules(registry);
  try {
    return load_config_string(yaml, "--to", registry);
  } catch (const config_error& e) {
    // Each --to is channel toN; the URLs are secrets and are not repeated here.
    static const std::string prefix = "channels.to";
    for (const auto& d : e.diagnostics()) {
      std::string which = d.path;
      if (which.rfind(prefix, 0) == 0)
        which = "#" + which.substr(prefix.size(), which.find('.', prefix.size()) - prefix.size());
      std::fprintf(stderr, "notibus send: --to %s: %s\n", printable(which).c_str(),
                   printable(d.message).c_str());
    }
  }
  return std::nullopt;
}

// The message the flags describe.
message message_of(const args& a, const std::string& body) {
  message m;
  m.body = body;
  m.topic = a.get("--topic").value_or("notibus.cli");
  m.title = a.get("--title").value_or("");
  if (auto p = a.get("--priority")) {
    auto parsed = parse_priority(*p);
    if (!parsed) throw usage_error("--priority must be min, low, normal, high or urgent");
    m.priority = *parsed;
  }
  if (auto f = a.get("--format")) {
    auto parsed = parse_body_format(*f);
    if (!parsed) throw usage_error("--format must be text, markdown or html");
    m.format = *parsed;
  }
  m.tags = a.all("--tag");
  for (const auto& kv : a.all("--attr")) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw usage_error("--attr takes KEY=VALUE");
    m.attributes[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  m.channels = a.all("--channel");
  if (auto key = a.get("--idempotency-key")) m.idempotency_key = *key;
  for (const auto& path : a.all("--attach")) {
    if (path.starts_with("http://") || path.starts_with("https://")) {
      attachment by_url;
      by_url.url = path;  // fetched once the config says from where it may be
      m.attachments.push_back(std::move(by_url));
      continue;
    }
    try {
      m.attachments.push_back(attachment::from_file(path));
    } catch (const std::system_error& e) {
      throw usage_error(std::string("--attach: ") + e.what());
    }
  }
  return m;
}

// Each channel's outcome on a line (failures on stderr); the exit status.
int print_report(const delivery_report& report) {
  for (const auto& c : report.channels) {
    std::FILE* out = c.state == delivery_state::failed ? stderr : stdout;
    // A failure says why; a delivery may carry a note (e.g. refused recipients).
    const std::string& why = c.state == delivery_state::failed ? c.last_error : c.detail;
    std::fprintf(out, "%s: %s (%u attempt%s)%s%s\n", c.channel.c_str(),
                 std::string(to_string(c.state)).c_str(), c.attempts, c.attempts == 1 ? "" : "s",
                 why.empty() ? "" : ": ", printable(why).c_str());
  }
  std::printf("message %s\n", report.message_id.c_str());
  return report.all_delivered() ? 0 : 1;
}

// Publishes `m` and waits for its report; the exit status.
int publish_and_report(const config& cfg, plugin_registry& registry, const message& m,
                       const common_options& common) {
  std::unique_ptr<bus> b;
  try {
    bus_options options{1, nullptr, common.log, common.level};
    options.deliver_from_queue = false;  // with a shared queue: the serving instances deliver
    b = std::make_unique<bus>(cfg, registry, std::move(options));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", printable(e.what()).c_str());
    return 2;
  }
  std::promise<std::pair<error_code, delivery_report>> outcome;
  b->async_publish(m, [&outcome](error_code ec, delivery_report r) {
    outcome.set_value({ec, std::move(r)});
  });
  auto [ec, report] = outcome.get_future().get();
  b->stop(std::chrono::milliseconds(0));
  if (ec) {
    std::fprintf(stderr, "notibus send: %s\n", ec.message().c_str());
    return ec == errc::no_route || ec == errc::unknown_channel ? 2 : 1;
  }
  if (cfg.queue) {  // stored: where it goes is up to the instances
    std::printf(
        "message %s stored in the shared queue (%s); `notibus serve` instances deliver it\n",
        report.message_id.c_str(), report.duplicate ? "a repeat of it" : "new");
    return 0;
  }
  return print_report(report);
}

}  // namespace

int run_send(const std::vector<std::string>& argv, const common_options& common) {
  const args a(argv, {{"--config", "--channel", "--topic", "--title", "--priority", "--tag",
                       "--attr", "--body", "--idempotency-key", "--to", "--format", "--attach"},
                      {},
                      {{"-c", "--config"}}});
  const auto file = a.get("--config");
  const auto body = a.get("--body");
  const auto urls = a.all("--to");
  if (!file && urls.empty()) throw usage_error("send needs -c FILE or --to URL");
  if (file && !urls.empty()) throw usage_error("send takes -c FILE or --to URL, not both");
  if (!body) throw usage_error("send needs --body");
  if (!a.positional().empty()) throw usage_error("unexpected argument " + a.positional().front());
  message m = message_of(a, *body);

  plugin_registry registry;
  auto cfg = file ? load_or_report(*file, registry) : config_of_urls(urls, registry);
  if (!cfg) return 2;
  if (!file)
    for (const auto& c : cfg->channels) m.channels.push_back(c.name);
  // send waits for the outcome itself, so there is nothing to keep on disk;
  // and the spool belongs to `notibus serve`, which may be running.
  cfg->spool.reset();
  if (auto failed = fetch_url_attachments(m, cfg->attachments); !failed.empty()) {
    std::fprintf(stderr, "notibus send: %s\n", printable(failed).c_str());
    return 2;
  }
  if (auto problem = check_attachments(m.attachments, cfg->attachments)) {
    std::fprintf(stderr, "notibus send: %s: %s\n", problem->field.c_str(),
                 printable(problem->detail).c_str());
    return 2;
  }
  for (const auto& name : m.channels)
    if (!cfg->find_channel(name)) {
      std::fprintf(stderr, "notibus send: no channel \"%s\" in %s\n", name.c_str(),
                   file ? file->c_str() : "--to");
      return 2;
    }
  return publish_and_report(*cfg, registry, m, common);
}

}  // namespace notibus::cli
