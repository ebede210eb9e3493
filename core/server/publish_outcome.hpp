// What a publish result means for an HTTP client, whichever API it came
// through: POST /v1/messages and every ingestion dialect refuse alike.
#pragma once

#include <notibus/bus.hpp>

#include <optional>
#include <string>

namespace notibus::serve {

struct publish_problem {
  publish_problem(unsigned s, std::string c, std::string d, std::string f = {},
                  std::string retry = {}, bool temp = false)
      : status(s),
        code(std::move(c)),
        detail(std::move(d)),
        field(std::move(f)),
        retry_after(std::move(retry)),
        temporary(temp) {}
  unsigned status = 503;
  std::string code;  // "spool_full", "no_route", ...
  std::string detail;
  std::string field;        // the request field at fault, if one is
  std::string retry_after;  // seconds, for a 503 worth retrying
  bool temporary = false;   // 503: the server cannot take it now (counted as refused)
};

// nullopt when the message was accepted (or was a duplicate of one that was).
std::optional<publish_problem> problem_of(const publish_result& r);

}  // namespace notibus::serve
