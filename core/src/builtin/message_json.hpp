// One message as a compact JSON object, for the file and console channels.
#pragma once

#include <notibus/plugin/sdk.hpp>

#include <string>

namespace notibus {

std::string message_to_json(const sdk::message_view& m);

}  // namespace notibus
