#include <notibus/plugin_registry.hpp>

#include "registry_impl.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>

#include "builtin_table.hpp"

namespace notibus {
namespace {

constexpr std::string_view module_prefix = "libnotibus-channel-";
constexpr std::string_view module_suffix = ".so";

std::string version_text(std::uint32_t v) {
  return std::to_string(NOTIBUS_ABI_VERSION_MAJOR_OF(v)) + "." +
         std::to_string(NOTIBUS_ABI_VERSION_MINOR_OF(v));
}

// The smallest table a 1.0 plugin can have: everything up to destroy.
constexpr std::size_t min_table_size = offsetof(notibus_plugin_v1, destroy) + sizeof(void*);

}  // namespace

plugin_registry::plugin_registry() : impl_(std::make_unique<impl>()) {
  for (std::size_t i = 0; i < builtin_channel_count; ++i) {
    // A broken built-in is a build defect; add() would report it at first use.
    (void)add(builtin_channels[i].entry, "built-in");
  }
}

plugin_registry::~plugin_registry() = default;

bool plugin_registry::modules_supported() noexcept {
#if defined(NOTIBUS_STATIC_BUILD)
  return false;
#else
  return true;
#endif
}

std::optional<diagnostic> plugin_registry::add(notibus_channel_entry_fn entry,
                                               const std::string& origin) {
  auto refused = [&](std::string why) { return diagnostic{origin, 0, 0, "", std::move(why)}; };
  const std::string host = version_text(NOTIBUS_ABI_VERSION);
  const notibus_plugin_v1* table = entry ? entry(NOTIBUS_ABI_VERSION) : nullptr;
  if (!table)
    return refused("the plugin declined this host's ABI " + host +
                   " (it was built for another major version)");
  const std::string name = table->struct_size >= min_table_size && table->name ? table->name : "?";
  const std::string who = "plugin \"" + name + "\"";
  if (NOTIBUS_ABI_VERSION_MAJOR_OF(table->abi_version) != NOTIBUS_ABI_MAJOR)
    return refused(who + " was built for ABI " + version_text(table->abi_version) +
                   ", this host speaks " + host);
  if (table->struct_size < min_table_size)
    return refused(who + ": plugin table is " + std::to_string(table->struct_size) +
                   " bytes, smaller than any ABI " + host + " table");
  if (name == "?" || name.empty()) return refused("plugin has no name");
  if (!table->create || !table->send || !table->destroy)
    return refused(who + ": plugin table lacks create, send or destroy");
  std::lock_guard lock(impl_->mutex);
  auto [it, inserted] = impl_->plugins.try_emplace(name, loaded_plugin{table, origin});
  if (!inserted)
    return refused("duplicate channel type \"" + name + "\" (also in " + it->second.origin + ")");
  return std::nullopt;
}

std::optional<diagnostic> plugin_registry::load_module(const std::filesystem::path& file) {
  const std::string path = file.string();
  auto refused = [&](std::string why) { return diagnostic{path, 0, 0, "", std::move(why)}; };
  if (!modules_supported())
    return refused(
        "cannot load the module: this notibus is a static build and loads no modules (build the "
        "channel in with -DNOTIBUS_CHANNEL_<NAME>=builtin)");
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    return refused(std::string("cannot load the module: ") + (why ? why : "unknown dlopen error"));
  }
  auto entry =
      reinterpret_cast<notibus_channel_entry_fn>(::dlsym(handle, NOTIBUS_CHANNEL_ENTRY_SYMBOL));
  if (!entry) {
    ::dlclose(handle);  // none of its code has run yet
    return refused("missing symbol " NOTIBUS_CHANNEL_ENTRY_SYMBOL
                   " (was it built with NOTIBUS_BUILD_AS_MODULE?)");
  }
  // The file name promises a channel type; a different one inside is a packaging error.
  const std::string stem = file.filename().string();
  const std::string expected =
      stem.substr(module_prefix.size(), stem.size() - module_prefix.size() - module_suffix.size());
  const notibus_plugin_v1* table = entry(NOTIBUS_ABI_VERSION);
  if (table && table->struct_size >= min_table_size && table->name &&
      NOTIBUS_ABI_VERSION_MAJOR_OF(table->abi_version) == NOTIBUS_ABI_MAJOR &&
      expected != table->name) {
    // Build the message first: the table lives in the module's memory.
    auto error = refused("file name says channel \"" + expected + "\" but the plugin is \"" +
                         table->name + "\"");
    ::dlclose(handle);
    return error;
  }
  auto error = add(entry, path);  // copies what it needs before returning
  if (error) {
    ::dlclose(handle);
    return error;
  }
  std::lock_guard lock(impl_->mutex);
  impl_->handles.push_back(handle);
  return std::nullopt;
}

std::vector<diagnostic> plugin_registry::load_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(dir, ec);
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->loaded_dirs.insert(canonical).second) return {};
  }
  if (!std::filesystem::is_directory(dir, ec))
    return {diagnostic{dir.string(), 0, 0, "", "plugin directory does not exist"}};
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > module_prefix.size() + module_suffix.size() &&
        name.compare(0, module_prefix.size(), module_prefix) == 0 &&
        name.compare(name.size() - module_suffix.size(), module_suffix.size(), module_suffix) == 0)
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // deterministic "duplicate" messages
  std::vector<diagnostic> errors;
  for (const auto& f : files)
    if (auto error = load_module(f)) errors.push_back(std::move(*error));
  return errors;
}

std::vector<std::filesystem::path> plugin_registry::default_directories() {
  namespace fs = std::filesystem;
  std::vector<fs::path> out;
  if (!modules_supported()) return out;
  std::error_code ec;
  auto add = [&](const fs::path& dir) {
    if (!fs::is_directory(dir, ec)) return;
    const fs::path canonical = fs::weakly_canonical(dir, ec);
    if (std::find(out.begin(), out.end(), canonical) == out.end()) out.push_back(canonical);
  };
  // Beside the program: bin/../lib/notibus once installed, bin/../plugins in
  // a build tree. The first that exists is the program's own.
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path prefix = exe.parent_path().parent_path();
    for (const fs::path candidate : {prefix / NOTIBUS_MODULE_DIR_IN_PREFIX, prefix / "plugins"})
      if (fs::is_directory(candidate, ec)) {
        add(candidate);
        break;
      }
  }
  if (const char* path = std::getenv("NOTIBUS_PLUGIN_PATH")) {
    std::string_view rest = path;
    while (!rest.empty()) {
      const std::size_t colon = rest.find(':');
      if (colon != 0) add(fs::path(std::string(rest.substr(0, colon))));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  return out;
}

std::vector<diagnostic> plugin_registry::load_default_directories() {
  std::vector<diagnostic> problems;
  for (const auto& dir : default_directories())
    for (auto& p : load_directory(dir)) problems.push_back(std::move(p));
  return problems;
}

const loaded_plugin* plugin_registry::find(std::string_view name) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->plugins.find(name);
  return it == impl_->plugins.end() ? nullptr : &it->second;
}

std::vector<const loaded_plugin*> plugin_registry::list() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<const loaded_plugin*> out;
  for (const auto& [name, p] : impl_->plugins) out.push_back(&p);
  return out;
}

}  // namespace notibus
