// The API answers the console needs beyond publishing: recent messages,
// channels with their health, the running configuration (secrets redacted)
// and the spool's or shared queue's state. All read-only, all behind the
// same token as the rest of the API.
#pragma once

#include <notibus/bus.hpp>

#include <boost/json/object.hpp>

#include <string_view>

#include "http_server.hpp"

namespace notibus::serve {

// GET /v1/messages?limit=&after=&state=&key=: newest first; `key` finds the
// message with that idempotency key. 400 for a bad parameter.
http_response list_messages(const bus& b, std::string_view target);
// GET /v1/dead-letters?limit=&after=: oldest first, a page at a time (100 by
// default), with next_after while more follow. `b` may be null (starting).
http_response list_dead_letters(const bus* b, std::string_view target);
// GET /v1/channels: live counters, latency quantiles, last error and state.
boost::json::object channels_json(const bus& b);
// GET /v1/config: channels (options redacted), routes, durability and its state.
boost::json::object config_json(const bus& b);
boost::json::object report_json(const delivery_report& r);

}  // namespace notibus::serve
