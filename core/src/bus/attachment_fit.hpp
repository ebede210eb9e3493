// Which of a message's attachments go to a channel: as many as it takes
// (its plugin's or its service definition's capacity), each within its size; the rest follow the
// channel's `attachments` fallback (left out with a note, or the delivery fails).
#pragma once

#include <notibus/plugin/abi.h>
#include <notibus/channel_settings.hpp>
#include <notibus/delivery.hpp>

#include <string>
#include <vector>

namespace notibus {

struct attachment_fit {
  std::vector<notibus_attachment_v1> passed;  // handed to the plugin
  std::vector<attachment_fate> fates;         // one per message attachment
  std::string note;                           // what was left out and why; empty when nothing was
  bool refused = false;                       // the fallback is `fail` and something was left out
};

// `channel_type` names the channel in notes ("discord takes at most 10").
attachment_fit fit_attachments(const notibus_message_v1& m, const attachment_capacity& can,
                               const std::string& channel_type, attachment_fallback fallback);

}  // namespace notibus
