#include "attachment_fit.hpp"

#include <algorithm>

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
  fit.note = std::to_string(left_out) + (left_out == 1 ? " attachment " : " attachments ") +
             (fit.refused ? "cannot be sent: " : "omitted: ") + fit.note +
             (beyond_count.empty() || can.count == 0 ? "" : " (" + names_of(beyond_count) + ")");
  return fit;
}

}  // namespace notibus
