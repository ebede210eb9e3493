// Message bodies as a hostile sender writes them: the first byte picks
// Markdown or HTML, the rest is the body. Every renderer's output must be
// valid for its target and safe (tests/format/output_checks.hpp), and every
// part of a split must be too; anything else aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <format/split.hpp>

#include "output_checks.hpp"

using namespace notibus::format;

namespace {

void require_valid(std::string_view out, target t) {
  const auto problems = testing::problems_of(out, t);
  if (problems.empty()) return;
  std::fprintf(stderr, "for %.*s: %s\n%.*s\n", static_cast<int>(name_of(t).size()),
               name_of(t).data(), problems.front().c_str(), static_cast<int>(out.size()),
               out.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const source s = data[0] % 2 ? source::html : source::markdown;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const document doc = parse(body, s);
  const std::size_t budget = 40 + data[0] % 200;
  for (const target t : all_targets) {
    require_valid(render(doc, t), t);
    const measure_fn measure =
        t == target::telegram ? measure_fn(count_telegram_units) : measure_fn(count_code_points);
    for (const auto& part : split(doc, t, budget, measure)) require_valid(part, t);
  }
  return 0;
}
