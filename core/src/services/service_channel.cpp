#include "service_channel.hpp"

#include <algorithm>
#include <array>

namespace notibus::services {

bool is_reserved_option(std::string_view name) {
  static constexpr std::array<std::string_view, 21> reserved = {"type",
                                                                "enabled",
                                                                "timeout",
                                                                "max_inflight",
                                                                "retry",
                                                                "rate_limit",
                                                                "queue",
                                                                "url",
                                                                "definition",
                                                                "ca_file",
                                                                "connect_timeout",
                                                                "tls_timeout",
                                                                "write_timeout",
                                                                "response_timeout",
                                                                "insecure_skip_verify",
                                                                "client_cert",
                                                                "client_key",
                                                                "follow_redirects",
                                                                "cross_origin_redirects",
                                                                "max_response_body",
                                                                "pool"};
  return std::find(reserved.begin(), reserved.end(), name) != reserved.end();
}

void specs_for_service(const service_definition& d, std::vector<option_spec>& specs) {
  std::erase_if(specs, [](const option_spec& s) { return s.key == definition_option; });
  specs.insert(specs.end(), d.options.begin(), d.options.end());
}

}  // namespace notibus::services
