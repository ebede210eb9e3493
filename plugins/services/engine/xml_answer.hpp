// An XML answer (Prowl's) read as the JSON tree response rules, captures and
// error texts already walk, so `prowl.error.@code` is a path like any other:
//   <prowl><error code="401">Invalid API key</error></prowl>
//   -> {"prowl": {"error": {"@code": "401", "#text": "Invalid API key"}}}
// An element with only text is that text; attributes are "@name"; the text
// beside attributes or children is "#text"; a name repeated among siblings
// is a list. Read with Boost.PropertyTree's parser, which expands no DTD or
// external entity (nothing of the answer can reach files or the network).
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string_view>

namespace notibus::services {

// nullopt when `body` is not well-formed XML.
std::optional<boost::json::value> xml_answer(std::string_view body);

}  // namespace notibus::services
