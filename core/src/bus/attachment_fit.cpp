#include "attachment_fit.hpp"

namespace notibus {
namespace {

std::string names_of(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

attachment_fit fit_attachments(const notibus_message_v1& m, const attachment_capacity& can,
                               const std::string& channel_type, attachment_fallback fallback) {
  attachment_fit fit;
  std::vector<std::string> too_large, beyond_count;
  for (std::size_t i = 0; i < m.attachment_count; ++i) {
    const notibus_attachment_v1& a = m.attachments[i];
    attachment_fate fate = attachment_fate::omitted;
    if (can.bytes_each != 0 && a.size > can.bytes_each) {
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
  if (fit.note.empty()) return fit;
  const std::size_t left_out = too_large.size() + beyond_count.size();
  fit.refused = fallback == attachment_fallback::fail;
  fit.note = std::to_string(left_out) + (left_out == 1 ? " attachment " : " attachments ") +
             (fit.refused ? "cannot be sent: " : "omitted: ") + fit.note +
             (beyond_count.empty() || can.count == 0 ? "" : " (" + names_of(beyond_count) + ")");
  return fit;
}

}  // namespace notibus
