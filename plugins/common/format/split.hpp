// A document cut into parts that each fit a service's limit, every part a
// whole document of its own: it splits between blocks first, then between
// lines, then between words; never inside a link, an entity or a code fence
// (a code block splits between its lines into blocks with their own fences),
// and emphasis, lists, quotes and tables are closed and reopened in the next
// part. Only a single word, URL or code line longer than a whole part is cut
// inside (on a code point).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "render.hpp"

namespace notibus::format {

// The size of a rendered text as the service counts it.
using measure_fn = std::function<std::size_t(std::string_view)>;

// The document rendered for `t` in parts of at most `budget` each (as
// `measure` counts); one part when it fits.
std::vector<std::string> split(const document& doc, target t, std::size_t budget,
                               const measure_fn& measure);

// The document's first part within `budget`, with "…" after it when the
// rest had to go. `cut` tells whether it did.
std::string cut(const document& doc, target t, std::size_t budget, const measure_fn& measure,
                bool& was_cut);

}  // namespace notibus::format
