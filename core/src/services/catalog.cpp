#include "catalog.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace notibus::services {
namespace {

notibus_option_v1 abi_option(const option_spec& o, std::deque<std::string>& strings) {
  auto keep = [&](const std::string& s) { return strings.emplace_back(s).c_str(); };
  std::string values;
  for (const auto& v : o.enum_values) values += (values.empty() ? "" : "|") + v;
  return notibus_option_v1{sizeof(notibus_option_v1),
                           NOTIBUS_ABI_VERSION,
                           keep(o.key),
                           o.type,
                           o.default_value ? keep(*o.default_value) : nullptr,
                           o.required ? 1 : 0,
                           o.enum_values.empty() ? nullptr : keep(values),
                           keep(o.doc),
                           o.secret ? 1 : 0,
                           o.min_value,
                           o.max_value};
}

}  // namespace

void catalog::load_builtins_locked() {
  if (builtins_loaded_) return;
  builtins_loaded_ = true;
  for (std::size_t i = 0; i < builtin_definition_count; ++i) add_builtin_locked(i);
}

void catalog::load_builtin_named_locked(std::string_view name) {
  if (builtins_loaded_) return;
  const std::string file = "services/definitions/" + std::string(name) + ".yaml";
  for (std::size_t i = 0; i < builtin_definition_count; ++i)
    if (file == builtin_definitions[i].file) return add_builtin_locked(i);
}

// The build's own definitions are checked by a unit test; a broken one is
// left out rather than taking every config down with it.
void catalog::add_builtin_locked(std::size_t index) {
  builtin_read_.resize(builtin_definition_count);
  if (builtin_read_[index]) return;
  builtin_read_[index] = true;
  const builtin_definition& b = builtin_definitions[index];
  diagnostics_sink sink(std::string("built-in ") + b.file);
  const std::optional<YAML::Node> root = parse_yaml(b.text, sink, definition_limits);
  if (!root) return;
  if ((*root)["channel"]) {
    if (auto forms = read_channel_url_forms(*root, sink))
      channel_forms_.push_back(std::move(*forms));
    return;
  }
  auto d = read_definition(*root, sink, reserved_);
  if (!d) return;
  d->origin = "built-in";
  (void)add_locked(std::move(*d), YAML::Mark::null_mark(), "built-in");
}

const std::vector<channel_url_forms>& catalog::channel_forms() {
  std::lock_guard lock(mutex_);
  load_builtins_locked();
  return channel_forms_;
}

std::vector<diagnostic> catalog::add_locked(service_definition d, const YAML::Mark& name_mark,
                                            const std::string& file,
                                            std::optional<std::filesystem::path> from_dir) {
  auto problem = [&](const std::string& message) {
    diagnostic x;
    x.file = file;
    if (!name_mark.is_null()) {
      x.line = name_mark.line + 1;
      x.column = name_mark.column + 1;
    }
    x.path = "service";
    x.message = message;
    return std::vector<diagnostic>{x};
  };
  if (plugin_ && plugin_(d.name))
    return problem("\"" + d.name + "\" is the name of a channel plugin; choose another");
  if (auto it = entries_.find(d.name); it != entries_.end())
    return problem("service \"" + d.name + "\" is defined twice (" + it->second->info.origin +
                   " and " + file + ")");
  auto e = std::make_unique<entry>();
  e->definition = std::move(d);
  e->from_dir = std::move(from_dir);
  service_info& info = e->info;
  info.name = e->definition.name;
  info.description = e->definition.description;
  info.docs = e->definition.docs;
  info.origin = e->definition.origin;
  for (const auto& o : e->definition.options) info.options.push_back(abi_option(o, e->strings));
  for (const auto& u : e->definition.forms.urls) info.url_forms.push_back(u.pattern);
  info.render = e->definition.render;
  info.text_limit = e->definition.text_limit;
  info.limit_counts = e->definition.count;
  info.max_files = e->definition.files_max_count;
  info.max_file_size = e->definition.files_max_size;
  info.file_types = e->definition.files_types;
  const std::string name = info.name;
  entries_.emplace(name, std::move(e));
  return {};
}

// A name not found among what was read so far: its own built-in file, then
// every definition.
const catalog::entry* catalog::find_locked(std::string_view name) {
  for (int step = 0; step < 3; ++step) {
    if (auto it = entries_.find(name); it != entries_.end()) return it->second.get();
    if (step == 0) load_builtin_named_locked(name);
    if (step == 1) load_builtins_locked();
  }
  return nullptr;
}

const service_definition* catalog::find(std::string_view name) {
  std::lock_guard lock(mutex_);
  const entry* e = find_locked(name);
  return e ? &e->definition : nullptr;
}

const service_info* catalog::info(std::string_view name) {
  std::lock_guard lock(mutex_);
  const entry* e = find_locked(name);
  return e ? &e->info : nullptr;
}

std::vector<const service_info*> catalog::list() {
  std::lock_guard lock(mutex_);
  load_builtins_locked();
  std::vector<const service_info*> out;
  for (const auto& [name, e] : entries_) out.push_back(&e->info);
  return out;
}

std::vector<diagnostic> catalog::load_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::lock_guard lock(mutex_);
  load_builtins_locked();
  // Read afresh every time (a SIGHUP reload picks up edited, new and removed
  // files): what came from this folder before goes first. Running channels
  // keep the definition they were made with.
  const auto folder = std::filesystem::weakly_canonical(dir, ec);
  std::erase_if(entries_,
                [&](const auto& e) { return e.second->from_dir && *e.second->from_dir == folder; });
  if (!std::filesystem::is_directory(dir, ec))
    return {diagnostic{dir.string(), 0, 0, "", "service directory does not exist"}};
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const auto ext = e.path().extension();
    if ((ext == ".yaml" || ext == ".yml") && e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<diagnostic> out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string text(definition_limits.max_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    diagnostics_sink sink(f.string());
    const std::optional<YAML::Node> parsed = parse_yaml(text, sink, definition_limits);
    const YAML::Node root = parsed ? *parsed : YAML::Node();
    auto d = parsed ? read_definition(root, sink, reserved_) : std::nullopt;
    auto problems = sink.take();
    out.insert(out.end(), problems.begin(), problems.end());
    if (!d) continue;
    d->origin = f.string();
    auto refused = add_locked(std::move(*d),
                              root["service"] ? root["service"].Mark() : YAML::Mark::null_mark(),
                              f.string(), folder);
    out.insert(out.end(), refused.begin(), refused.end());
  }
  return out;
}

}  // namespace notibus::services
