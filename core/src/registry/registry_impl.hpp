// The registry's state behind its pimpl, shared by plugin_registry.cpp (the
// channels) and services/registry_services.cpp (the service catalog).
#pragma once

#include <notibus/plugin_registry.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace notibus {

struct plugin_registry::impl {
  mutable std::mutex mutex;
  std::map<std::string, loaded_plugin, std::less<>> plugins;
  std::set<std::filesystem::path> loaded_dirs;
  // Handles are never closed: a module's code may still run in a late completion
  // callback, and unloading it then would crash (DESIGN.md section 3).
  std::vector<void*> handles;
  // Made on the first question about services (a const registry may be asked).
  std::once_flag catalog_made;
  std::shared_ptr<services::catalog> catalog;
};

}  // namespace notibus
