// What rendering a message body costs: a 4 KB Markdown alert (an incident
// report with headings, lists, a table, code and links) parsed once, then
// rendered for every target; an HTML mail body parsed; a split into parts.
//   build/main/bench/notibus_format_bench
#include <benchmark/benchmark.h>

#include <format/render.hpp>
#include <format/split.hpp>

#include <string>

namespace {

using namespace notibus::format;

std::string markdown_4k() {
  std::string doc =
      "# Incident 4711: checkout degraded\n\n"
      "**Severity:** high · _since 10:42 UTC_ · [dashboard](https://grafana.example.com/d/abc?"
      "orgId=1&var-host=db-1)\n\n";
  for (int i = 0; doc.size() < 3300; ++i) {
    doc += "## Host db-" + std::to_string(i) + "\n\n";
    doc += "The volume `/var/lib/postgres` is at **9" + std::to_string(i % 10) +
           " %** and *climbing*; see the [runbook](https://runbooks.example.com/disk?host=db-" +
           std::to_string(i) + ") or <https://status.example.com/>.\n\n";
    doc += "- free space: 7 GiB\n- growth: ~1 GiB/h\n  - mostly WAL\n- [ ] page the DBA\n\n";
  }
  doc +=
      "| host | used | free |\n|---|---:|---|\n| db-1 | 93 % | 7 GiB |\n| db-2 | 41 % | 60 GiB "
      "|\n\n";
  doc +=
      "```sql\nSELECT pg_size_pretty(pg_database_size('app'));\n```\n\n> ~~old alert~~ resolved\n";
  while (doc.size() < 4096)
    doc += "More detail about the incident, written by the on-call engineer. ";
  return doc;
}

void parse_markdown(benchmark::State& state) {
  const std::string body = markdown_4k();
  for (auto _ : state) benchmark::DoNotOptimize(parse(body, source::markdown));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(parse_markdown);

void render_for(benchmark::State& state) {
  const auto t = static_cast<target>(state.range(0));
  state.SetLabel(std::string(name_of(t)));
  const document doc = parse(markdown_4k(), source::markdown);
  for (auto _ : state) benchmark::DoNotOptimize(render(doc, t));
}
BENCHMARK(render_for)->DenseRange(0, std::size(all_targets) - 1);

// Parse and render together: what one delivery of a Markdown body costs.
void parse_and_render_for(benchmark::State& state) {
  const auto t = static_cast<target>(state.range(0));
  state.SetLabel(std::string(name_of(t)));
  const std::string body = markdown_4k();
  for (auto _ : state) benchmark::DoNotOptimize(render(parse(body, source::markdown), t));
}
BENCHMARK(parse_and_render_for)->DenseRange(0, std::size(all_targets) - 1);

void parse_html_mail(benchmark::State& state) {
  const std::string html =
      render(parse(markdown_4k(), source::markdown), target::html);  // about 5 KB of HTML
  for (auto _ : state) benchmark::DoNotOptimize(parse(html, source::html));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * html.size()));
}
BENCHMARK(parse_html_mail);

void split_for_discord(benchmark::State& state) {
  const document doc = parse(markdown_4k(), source::markdown);
  for (auto _ : state)
    benchmark::DoNotOptimize(split(doc, target::discord, 2000, count_code_points));
}
BENCHMARK(split_for_discord);

}  // namespace

BENCHMARK_MAIN();
