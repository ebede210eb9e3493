#include "dead_letter_json.hpp"

#include <notibus/http_service.hpp>

#include <notibus/plugin/text.hpp>

#include <boost/json.hpp>

namespace notibus::serve {

boost::json::array dead_letters_json(const std::vector<spooled_dead_letter>& dead) {
  namespace json = boost::json;
  json::array out;
  for (const auto& d : dead) {
    json::array failed;
    for (const auto& f : d.failed)
      failed.push_back(
          json::object{{"channel", f.channel}, {"attempts", f.attempts}, {"reason", f.last_error}});
    const auto created_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(d.msg.created_at.time_since_epoch())
            .count();
    out.push_back(json::object{{"id", d.msg.id},
                               {"topic", d.msg.topic},
                               {"title", d.msg.title},
                               {"created_at", sdk::format_rfc3339_utc(created_ms)},
                               {"failed", std::move(failed)}});
  }
  return out;
}

}  // namespace notibus::serve

namespace notibus {

std::string dead_letters_json_text(const std::vector<spooled_dead_letter>& dead) {
  return boost::json::serialize(serve::dead_letters_json(dead));
}

}  // namespace notibus
