#include <notibus/version.hpp>

namespace notibus {

const char* version() noexcept {
  return NOTIBUS_VERSION_STRING;
}

}  // namespace notibus
