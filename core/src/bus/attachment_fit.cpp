#include "attachment_fit.hpp"

#include <notibus/plugin/text.hpp>

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace notibus {
namespace {

// Media types compare without regard to case (RFC 2045 section 5.1).
bool equals_ignoring_case(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

std::string names_of(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

bool attachment_capacity::takes_type(std::string_view media_type) const {
  if (types.empty()) return true;
  const std::string_view essence = media_type.substr(0, media_type.find(';'));
  const std::string_view top = essence.substr(0, essence.find('/'));
  return std::any_of(types.begin(), types.end(), [&](const std::string& t) {
    if (t.size() > 2 && t.compare(t.size() - 2, 2, "/*") == 0)
      return equals_ignoring_case(top, std::string_view(t).substr(0, t.size() - 2));
    return equals_ignoring_case(essence, t);
  });
}

attachment_fit fit_attachments(const notibus_message_v1& m, const attachment_capacity& can,
                               const std::string& channel_type, attachment_fallback fallback) {
  attachment_fit fit;
  std::vector<std::string> too_large, beyond_count, wrong_type;
  for (std::size_t i = 0; i < m.attachment_count; ++i) {
    const notibus_attachment_v1& a = m.attachments[i];
    attachment_fate fate = attachment_fate::omitted;
    if (can.count != 0 && !can.takes_type(a.media_type)) {
      wrong_type.emplace_back(a.name);
    } else if (can.bytes_each != 0 && a.size > can.bytes_each) {
      too_large.emplace_back(a.name);
    } else if (fit.passed.size() >= can.count) {
      beyond_count.emplace_back(a.name);
    } else {
      fit.passed.push_back(a);
      fate = attachment_fate::sent;
    }
    fit.fates.push_back(fate);
  }
  if (!beyond_count.empty())
    fit.note = can.count == 0 ? channel_type + " takes no attachments"
                              : channel_type + " takes at most " + std::to_string(can.count);
  if (!too_large.empty())
    fit.note += (fit.note.empty() ? "" : "; ") + names_of(too_large) + " over " + channel_type +
                "'s " + std::to_string(can.bytes_each) + " bytes each";
  if (!wrong_type.empty()) {
    std::string types;
    for (const auto& t : can.types) types += (types.empty() ? "" : ", ") + t;
    fit.note += (fit.note.empty() ? "" : "; ") + names_of(wrong_type) + " not of a type " +
                channel_type + " takes (" + types + ")";
  }
  if (fit.note.empty()) return fit;
  const std::size_t left_out = too_large.size() + beyond_count.size() + wrong_type.size();
  fit.refused = fallback == attachment_fallback::fail;
  const bool link = fallback == attachment_fallback::link;
  if (link)
    for (std::size_t i = 0; i < fit.fates.size(); ++i)
      if (fit.fates[i] == attachment_fate::omitted) {
        fit.fates[i] = attachment_fate::linked;
        fit.linked.push_back(i);
      }
  fit.note = std::to_string(left_out) + (left_out == 1 ? " attachment " : " attachments ") +
             (fit.refused ? "cannot be sent: "
              : link      ? "linked: "
                          : "omitted: ") +
             fit.note +
             (beyond_count.empty() || can.count == 0 ? "" : " (" + names_of(beyond_count) + ")");
  return fit;
}

namespace {

// "812 bytes", "48.2 kB", "1.3 MB": sizes as people read them (SI units).
std::string readable_size(std::uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  static const char* units[] = {"kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes) / 1000;
  std::size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(units)) value /= 1000, ++unit;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

std::string escaped_markdown(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (std::string_view("\\`*_{}[]()#+-.!<>|~").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string escaped_html(std::string_view text) {
  std::string out;
  sdk::html_escape_to(out, text);
  return out;
}

}  // namespace

std::string body_with_links(std::string_view body, std::string_view format,
                            const std::vector<file_link>& links) {
  std::string out(body);
  if (format == "html") {
    out += "<p><strong>Attachments:</strong></p><ul>";
    for (const auto& l : links)
      out += "<li><a href=\"" + escaped_html(l.url) + "\">" + escaped_html(l.name) + "</a> (" +
             readable_size(l.size) + ")</li>";
    return out + "</ul>";
  }
  const bool markdown = format == "markdown";
  out += markdown ? "\n\n**Attachments:**\n" : "\n\nAttachments:";
  for (const auto& l : links)
    out += markdown ? "\n- [" + escaped_markdown(l.name) + "](" + l.url + ") (" +
                          readable_size(l.size) + ")"
                    : "\n- " + std::string(l.name) + " (" + readable_size(l.size) + "): " + l.url;
  return out;
}

}  // namespace notibus
