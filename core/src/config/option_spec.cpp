#include "option_spec.hpp"

#include <cstddef>

namespace notibus {

std::vector<std::string> specs_from_options(const notibus_option_v1* options, std::size_t count,
                                            std::vector<option_spec>& out) {
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < count; ++i) {
    const notibus_option_v1& o = options[i];
    // Fields are only ever appended: a shorter struct is an older plugin, and
    // anything shorter than version 1.0 cannot be read at all.
    if (o.struct_size < sizeof(notibus_option_v1) || o.key == nullptr) {
      problems.push_back("option #" + std::to_string(i) + " has a malformed schema entry");
      continue;
    }
    option_spec s;
    s.key = o.key;
    s.type = o.type;
    if (o.default_value) s.default_value = o.default_value;
    s.required = o.required != 0;
    s.doc = o.doc ? o.doc : "";
    s.secret = o.secret != 0;
    s.min_value = o.min_value;
    s.max_value = o.max_value;
    if (o.type == NOTIBUS_OPTION_ENUM) {
      std::string values = o.enum_values ? o.enum_values : "";
      std::size_t start = 0;
      while (start <= values.size()) {
        const std::size_t bar = values.find('|', start);
        const std::size_t end = bar == std::string::npos ? values.size() : bar;
        if (end > start) s.enum_values.push_back(values.substr(start, end - start));
        start = end + 1;
      }
      if (s.enum_values.empty())
        problems.push_back("option " + s.key + " is an enum without values");
    }
    if (o.type < NOTIBUS_OPTION_STRING || o.type > NOTIBUS_OPTION_STRING_MAP)
      problems.push_back("option " + s.key + " has an unknown type");
    out.push_back(std::move(s));
  }
  return problems;
}

}  // namespace notibus
