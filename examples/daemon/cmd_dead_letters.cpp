// `notibus dead-letters list|retry|purge -c FILE [--json] [ID... | --all]`:
// the deliveries a spool keeps after they failed for good. `list` reads the
// spool as it is (also while `notibus serve` runs); `retry` and `purge` need
// it to themselves, and a retried copy is delivered by the next `serve`.
// With a shared queue, all three work on the queue's dead letters while the
// instances run (a retried copy goes to them).
#include <notibus/bus.hpp>
#include <notibus/http_service.hpp>
#include <notibus/spool_admin.hpp>

#include <charconv>
#include <cstdio>
#include <functional>
#include <set>

#include "cli_args.hpp"
#include "commands.hpp"

namespace notibus::cli {
namespace {

// One page; where the next one starts goes to stderr, so stdout stays the list.
int list(const dead_letter_page& page, bool as_json) {
  const auto& dead = page.dead_letters;
  if (!page.next_after.empty())
    std::fprintf(stderr, "more dead letters follow: add --after %s\n", page.next_after.c_str());
  if (as_json) {
    std::printf("%s\n", dead_letters_json_text(dead).c_str());
    return 0;
  }
  if (dead.empty()) std::printf("no dead letters\n");
  for (const auto& d : dead)
    for (const auto& f : d.failed)
      std::printf("%s  %s  %s  %u attempt%s  %s\n", d.msg.id.c_str(),
                  printable(d.msg.topic).c_str(), f.channel.c_str(), f.attempts,
                  f.attempts == 1 ? "" : "s", printable(f.last_error).c_str());
  return 0;
}

// retry's answer: the copy's id, or none with the reason (none: no such dead letter).
struct retried {
  std::string copy;
  std::string why;
};

// `retry` or `purge` on each id (once each); 1 if any was not done.
int apply(const std::string& action, const std::vector<std::string>& ids,
          const std::function<retried(const std::string&)>& retry,
          const std::function<bool(const std::string&)>& purge, const char* delivered_by) {
  int status = 0;
  for (const auto& id : std::set<std::string>(ids.begin(), ids.end())) {
    if (action == "retry") {
      const retried r = retry(id);
      if (!r.copy.empty()) {
        std::printf("%s: queued again as %s%s\n", printable(id).c_str(), r.copy.c_str(),
                    delivered_by);
        continue;
      }
      if (!r.why.empty()) {
        std::fprintf(stderr, "%s: not queued again: %s\n", printable(id).c_str(),
                     printable(r.why).c_str());
        status = 1;
        continue;
      }
    } else if (purge(id)) {
      std::printf("%s: purged\n", printable(id).c_str());
      continue;
    }
    std::fprintf(stderr, "%s: no such dead letter\n", printable(id).c_str());
    status = 1;
  }
  return status;
}

// Every dead letter's id, page by page (for --all).
template <class Source>
std::vector<std::string> every_id(const Source& source) {
  std::vector<std::string> ids;
  dead_letter_query q;
  q.limit = 1000;
  for (;;) {
    const dead_letter_page page = source.dead_letters(q);
    for (const auto& d : page.dead_letters) ids.push_back(d.msg.id);
    if (page.next_after.empty()) return ids;
    q.after = page.next_after;
  }
}

// The shared queue's dead letters, through a bus that only publishes (it
// takes no deliveries from the queue: the serving instances do).
int shared_queue_dead_letters(const config& cfg, const std::string& action,
                              std::vector<std::string> ids, bool all, bool as_json,
                              const dead_letter_query& page, const common_options& common,
                              plugin_registry& registry) {
  try {
    bus_options options;
    options.log = common.log;
    options.min_log_level = common.level;
    options.deliver_from_queue = false;
    bus b(cfg, registry, std::move(options));
    if (action == "list") return list(b.dead_letters(page), as_json);
    if (all) ids = every_id(b);
    const int status = apply(
        action, ids,
        [&](const std::string& id) -> retried {
          const auto r = b.retry_dead_letter(id);
          if (!r) return {};
          if (r->error) return {"", r->error.message()};
          return {r->id, ""};
        },
        [&](const std::string& id) { return b.purge_dead_letter(id); }, "");
    b.stop(std::chrono::seconds(5));
    return status;
  } catch (const notibus::error& e) {
    for (const auto& d : e.diagnostics())
      std::fprintf(stderr, "%s\n", printable(d.to_string()).c_str());
    return 1;
  }
}

// --limit and --after (list only).
dead_letter_query page_of(const args& a) {
  dead_letter_query page;
  if (const auto limit = a.get("--limit")) {
    const auto [end, ec] =
        std::from_chars(limit->data(), limit->data() + limit->size(), page.limit);
    if (ec != std::errc{} || end != limit->data() + limit->size() || page.limit == 0)
      throw usage_error("--limit takes a number of at least 1");
  }
  page.after = a.get("--after").value_or("");
  return page;
}

// retry or purge on a spool no daemon holds.
int spool_dead_letters(const spool_settings& spool, const std::string& action,
                       const std::vector<std::string>& ids_given, bool all,
                       const common_options& common) {
  try {
    spool_admin admin(spool, common.log);
    const std::vector<std::string> ids = all ? every_id(admin) : ids_given;
    return apply(
        action, ids,
        [&](const std::string& id) {
          return retried{admin.retry(id), ""};
        },
        [&](const std::string& id) { return admin.purge(id); },
        " (delivered by the next `notibus serve`)");
  } catch (const notibus::error& e) {
    // The lock is taken: a daemon holds the spool, and its API can do this.
    const bool in_use = e.code() == errc::spool_in_use;
    std::fprintf(stderr, "%s%s\n", printable(e.what()).c_str(),
                 in_use ? " (while `notibus serve` runs, use its API: POST "
                          "/v1/dead-letters/ID/retry, DELETE /v1/dead-letters/ID)"
                        : "");
    return 1;
  }
}

}  // namespace

int run_dead_letters(const std::vector<std::string>& argv, const common_options& common) {
  const args a(argv,
               {{"--config", "--limit", "--after"}, {"--json", "--all"}, {{"-c", "--config"}}});
  const auto file = a.get("--config");
  std::vector<std::string> rest = a.positional();
  if (!file || rest.empty())
    throw usage_error("dead-letters needs list, retry or purge, and -c FILE");
  const std::string action = rest.front();
  rest.erase(rest.begin());
  if (action != "list" && action != "retry" && action != "purge")
    throw usage_error("unknown dead-letters action \"" + action + "\"");
  if (action == "list" && (!rest.empty() || a.has("--all")))
    throw usage_error("dead-letters list takes no ids");
  if (action != "list" && (a.has("--limit") || a.has("--after")))
    throw usage_error("--limit and --after go with dead-letters list");
  const dead_letter_query page = page_of(a);
  if (action != "list" && rest.empty() == !a.has("--all"))
    throw usage_error("dead-letters " + action + " needs message ids or --all (not both)");

  plugin_registry registry;
  const auto cfg = load_or_report(*file, registry);
  if (!cfg) return 2;
  if (cfg->queue)
    return shared_queue_dead_letters(*cfg, action, rest, a.has("--all"), a.has("--json"), page,
                                     common, registry);
  if (!cfg->spool) {
    std::fprintf(stderr, "%s: no spool or queue is configured, so no dead letters are kept\n",
                 file->c_str());
    return 2;
  }
  if (action != "list")
    return spool_dead_letters(*cfg->spool, action, rest, a.has("--all"), common);
  try {
    return list(list_dead_letters(*cfg->spool, page), a.has("--json"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", printable(e.what()).c_str());
    return 1;
  }
}

}  // namespace notibus::cli
