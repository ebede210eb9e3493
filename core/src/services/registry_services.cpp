// The service side of plugin_registry, apart from plugin_registry.cpp so that
// a registry without services (the static registry test) still compiles alone.
#include <notibus/plugin_registry.hpp>

#include "../registry/registry_impl.hpp"
#include "catalog.hpp"
#include "service_channel.hpp"

namespace notibus {

services::catalog& plugin_registry::service_catalog() const {
  std::call_once(impl_->catalog_made, [this] {
    impl_->catalog = std::make_shared<services::catalog>(
        [this](std::string_view type) -> const notibus_plugin_v1* {
          const loaded_plugin* p = find(type);
          return p ? p->table : nullptr;
        },
        [this](std::string_view name) { return services::is_reserved_option(*this, name); });
  });
  return *impl_->catalog;
}

std::vector<diagnostic> plugin_registry::load_service_directory(const std::filesystem::path& dir) {
  return service_catalog().load_directory(dir);
}

const service_info* plugin_registry::find_service(std::string_view name) const {
  return service_catalog().info(name);
}

std::vector<const service_info*> plugin_registry::services() const {
  return service_catalog().list();
}

}  // namespace notibus
