#include "service_template.hpp"

#include <notibus/plugin/text.hpp>

#include <charconv>

namespace notibus::services {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

namespace {

using part = service_template::part;
using part_kind = service_template::part_kind;

// A "{{...}}"'s inside as a part: {{name}}, {{name|cut:N}}, {{#name}},
// {{^name}} or {{/name}}; nullopt with `error` set.
std::optional<part> read_tag(std::string_view inside,
                             const std::function<bool(std::string_view)>& known,
                             std::string& error) {
  part out{part_kind::value, {}, {}};
  if (!inside.empty() &&
      (inside.front() == '#' || inside.front() == '^' || inside.front() == '/')) {
    out.kind = inside.front() == '#'   ? part_kind::section_start
               : inside.front() == '^' ? part_kind::inverted_start
                                       : part_kind::section_end;
    inside.remove_prefix(1);
  }
  const std::size_t bar = inside.find('|');
  out.value.name = std::string(trim(inside.substr(0, bar)));
  for (std::size_t at = bar; at != std::string_view::npos;) {
    const std::size_t next = inside.find('|', at + 1);
    const std::string_view filter = trim(inside.substr(at + 1, next - at - 1));
    at = next;
    if (filter == "html") {
      out.value.html = true;
      continue;
    }
    std::size_t n = 0;
    const auto digits = filter.substr(filter.find(':') + 1);
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (filter.substr(0, 4) != "cut:" || ec != std::errc() ||
        ptr != digits.data() + digits.size() || n == 0) {
      error = "unknown filter in {{" + std::string(inside) + "}} (known: cut:N, html)";
      return std::nullopt;
    }
    out.value.cut = n;
  }
  if (out.value.name.empty() || !known(out.value.name)) {
    error = "unknown placeholder {{" + out.value.name + "}}";
    return std::nullopt;
  }
  return out;
}

// Sections nest: a {{/name}} closes the innermost open {{#name}} or {{^name}}.
bool nest(std::vector<std::string>& open, const part& p, std::string& error) {
  if (p.kind == part_kind::section_start || p.kind == part_kind::inverted_start)
    open.push_back(p.value.name);
  if (p.kind != part_kind::section_end) return true;
  if (open.empty() || open.back() != p.value.name) {
    error = "{{/" + p.value.name + "}} closes no {{#" + p.value.name + "}}";
    return false;
  }
  open.pop_back();
  return true;
}

}  // namespace

std::optional<service_template> service_template::parse(
    std::string_view text, const std::function<bool(std::string_view)>& known, std::string& error) {
  service_template t;
  std::vector<std::string> sections;  // open {{#name}}s
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find("{{", i);
    const std::size_t end = open == std::string_view::npos ? text.size() : open;
    if (end > i) t.parts_.push_back({part_kind::literal, std::string(text.substr(i, end - i)), {}});
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      error = "unclosed \"{{\"";
      return std::nullopt;
    }
    auto tag = read_tag(trim(text.substr(open + 2, close - open - 2)), known, error);
    if (!tag || !nest(sections, *tag, error)) return std::nullopt;
    t.parts_.push_back(std::move(*tag));
    i = close + 2;
  }
  if (!sections.empty()) {
    error = "{{#" + sections.back() + "}} is not closed";
    return std::nullopt;
  }
  return t;
}

member_key parse_member_key(std::string_view key) {
  for (const std::string_view word : {std::string_view(" when "), std::string_view(" unless ")}) {
    const std::size_t at = key.find(word);
    if (at == std::string_view::npos) continue;
    const std::string_view name = key.substr(at + word.size());
    const bool namespaced = name.starts_with("options.") || name.starts_with("message.") ||
                            name.starts_with("file.") || name.starts_with("step.");
    if (!namespaced) continue;
    return {std::string(key.substr(0, at)), std::string(name), word == " unless "};
  }
  return {std::string(key), {}, false};
}

const placeholder* service_template::sole_placeholder() const noexcept {
  return parts_.size() == 1 && parts_[0].kind == part_kind::value ? &parts_[0].value : nullptr;
}

std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++n) {
    const std::size_t len = sdk::utf8_sequence_length(text, i);
    i += len ? len : 1;
  }
  return n;
}

bool cut_to_code_points(std::string& text, std::size_t limit) {
  if (code_points(text) <= limit) return false;
  std::size_t i = 0;
  for (std::size_t kept = 0; kept + 1 < limit && i < text.size(); ++kept) {
    const std::size_t len = sdk::utf8_sequence_length(text, i);
    i += len ? len : 1;
  }
  text.resize(i);
  text += "\xE2\x80\xA6";  // …
  return true;
}

}  // namespace notibus::services
