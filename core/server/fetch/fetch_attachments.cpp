#include "fetch_attachments.hpp"

#include <notibus/attachment_fetch.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>

#include <http/url.hpp>

#include "../attachment_request.hpp"
#include "url_fetch.hpp"

namespace notibus::serve {
namespace {

struct fetch_run : std::enable_shared_from_this<fetch_run> {
  boost::asio::any_io_executor ex;
  message m;
  fetch_settings settings;
  fetched_fn done;
  std::size_t next = 0;

  void go() {
    while (next < m.attachments.size() && m.attachments[next].url.empty()) ++next;
    if (next == m.attachments.size()) return done(std::nullopt, std::move(m));
    fetch_url(ex, m.attachments[next].url, settings,
              [self = shared_from_this()](fetched f) { self->on_fetched(std::move(f)); });
  }

  void on_fetched(fetched f) {
    const std::string field = "attachments[" + std::to_string(next) + "].url";
    if (!f.error.empty() && m.attachments[next].optional) {
      leave_out(m, next, f.error);
      return go();
    }
    if (!f.error.empty())
      return done(request_error{400, "attachment_fetch_failed", "cannot fetch: " + f.error, field},
                  std::move(m));
    attachment& a = m.attachments[next];
    if (a.name.empty()) a.name = f.file_name.empty() ? "attachment" : f.file_name;
    // A type the client gave wins; else the server's, else sniffed at publish.
    if (a.media_type.empty()) a.media_type = f.media_type;
    const std::string_view bytes = *f.bytes;
    a.content = attachment::from_shared({}, std::move(f.bytes), bytes).content;
    ++next;
    go();
  }
};

}  // namespace

void leave_out(message& m, std::size_t index, const std::string& why) {
  const attachment& a = m.attachments.at(index);
  std::string& note = m.attributes["attachments.left_out"];
  const std::string shown = a.url.empty() ? a.name : http::redact_url(a.url);
  std::string_view reason = why;  // a fetch's error ends with the URL it names first
  if (reason.ends_with(" (" + shown + ")")) reason.remove_suffix(shown.size() + 3);
  note.append(note.empty() ? "" : "; ").append(shown).append(": ").append(reason);
  m.attachments.erase(m.attachments.begin() + static_cast<std::ptrdiff_t>(index));
}

void leave_out_optional_over_limits(message& m, const attachment_settings& limits) {
  for (auto over = check_attachment_limits(m, limits); over;
       over = check_attachment_limits(m, limits)) {
    auto last = std::find_if(m.attachments.rbegin(), m.attachments.rend(),
                             [](const attachment& a) { return a.optional; });
    if (last == m.attachments.rend()) return;  // the limit refuses what the client sent
    leave_out(m, static_cast<std::size_t>(m.attachments.rend() - last - 1), over->detail);
  }
}

bool has_url_attachments(const message& m) {
  for (const auto& a : m.attachments)
    if (!a.url.empty() && !a.content) return true;
  return false;
}

void fetch_attachments(const boost::asio::any_io_executor& ex, message m,
                       const attachment_settings& settings, fetched_fn done) {
  auto run = std::make_shared<fetch_run>();
  run->ex = ex;
  run->m = std::move(m);
  run->settings.addresses.allow_private = settings.fetch_allow_private;
  run->settings.max_size = settings.max_size;
  run->settings.timeout = settings.fetch_timeout;
  run->done = std::move(done);
  // Optional files past the count limit are not fetched at all (a Grafana
  // group of 40 alerts: their images stay links).
  const auto max_count = static_cast<std::size_t>(std::max<std::int64_t>(settings.max_count, 0));
  for (std::size_t i = run->m.attachments.size(); i-- > max_count;)
    if (run->m.attachments[i].optional)
      leave_out(run->m, i, "over attachments.max_count (" + std::to_string(max_count) + ")");
  run->go();
}

}  // namespace notibus::serve

namespace notibus {

std::string fetch_url_attachments(message& m, const attachment_settings& settings) {
  if (!serve::has_url_attachments(m)) return {};
  boost::asio::io_context io;
  // The fetches run on the HTTP client's thread: hold the context open until the last answer.
  auto busy = boost::asio::make_work_guard(io);
  std::string failure;
  serve::fetch_attachments(io.get_executor(), std::move(m), settings,
                           [&](std::optional<serve::request_error> e, message fetched) {
                             if (e) failure = e->field + ": " + e->detail;
                             m = std::move(fetched);
                             busy.reset();
                           });
  io.run();
  return failure;
}

}  // namespace notibus
