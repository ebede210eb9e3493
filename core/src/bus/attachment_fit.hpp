// Which of a message's attachments go to a channel: as many as its plugin
// declares it takes, each within its size; the rest follow the channel's
// `attachments` fallback (left out with a note, or the delivery fails).
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

attachment_fit fit_attachments(const notibus_message_v1& m, const notibus_plugin_v1& plugin,
                               attachment_fallback fallback);

}  // namespace notibus
