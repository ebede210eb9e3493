#include "link_files.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

namespace notibus::link_files {
namespace {

namespace fs = std::filesystem;

std::string stem(std::string_view message_id, std::size_t n) {
  return std::string(message_id) + "." + std::to_string(n);
}

std::int64_t seconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Written to a temporary name and renamed: a record is whole or absent.
bool write_record(const fs::path& dir, const kept& k) {
  const fs::path path = dir / (stem(k.message_id, k.n) + ".link");
  const fs::path temporary = dir / (stem(k.message_id, k.n) + ".link.tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << k.message_id << '\n'
        << k.n << '\n'
        << seconds_of(k.expires) << '\n'
        << k.file.name << '\n'
        << k.file.media_type << '\n';
    if (!out.flush()) return false;
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  return !ec;
}

std::optional<kept> read_record(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  kept k;
  std::string n, expires;
  if (!std::getline(in, k.message_id) || !std::getline(in, n) || !std::getline(in, expires) ||
      !std::getline(in, k.file.name) || !std::getline(in, k.file.media_type))
    return std::nullopt;
  try {
    k.n = std::stoul(n);
    k.expires = std::chrono::system_clock::time_point(std::chrono::seconds(std::stoll(expires)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (path.filename().string() != stem(k.message_id, k.n) + ".link") return std::nullopt;
  return k;
}

// A hard link costs no copy; the spool removing its blob leaves this name.
bool linked(const fs::path& stored, const fs::path& bin, std::uint64_t size) {
  std::error_code ec;
  if (stored.empty() || fs::file_size(stored, ec) != size || ec) return false;
  fs::remove(bin, ec);
  fs::create_hard_link(stored, bin, ec);
  return !ec;
}

}  // namespace

bool save(const fs::path& dir, const kept& k, const fs::path& stored) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path bin = dir / (stem(k.message_id, k.n) + ".bin");
  if (linked(stored, bin, k.file.size())) return write_record(dir, k);
  {
    std::ofstream out(bin, std::ios::binary | std::ios::trunc);
    const std::string_view bytes = k.file.bytes();
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) return false;
  }
  return write_record(dir, k);
}

void touch(const fs::path& dir, const kept& k) {
  (void)write_record(dir, k);
}

void remove(const fs::path& dir, std::string_view message_id, std::size_t n) {
  std::error_code ec;
  fs::remove(dir / (stem(message_id, n) + ".link"), ec);
  fs::remove(dir / (stem(message_id, n) + ".bin"), ec);
}

std::vector<kept> load(const fs::path& dir, std::chrono::system_clock::time_point now) {
  std::vector<kept> out;
  std::error_code ec;
  std::vector<fs::path> bins, records;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto ext = e.path().extension();
    if (ext == ".link") records.push_back(e.path());
    if (ext == ".bin") bins.push_back(e.path());
    if (ext == ".tmp") fs::remove(e.path(), ec);
  }
  for (const auto& record : records) {
    auto k = read_record(record);
    const fs::path bin = fs::path(record).replace_extension(".bin");
    if (!k || k->expires <= now || !fs::is_regular_file(bin, ec)) {
      fs::remove(record, ec);
      continue;
    }
    try {
      k->file = attachment::from_file(bin, k->file.name, k->file.media_type);
      out.push_back(std::move(*k));
    } catch (const std::exception&) {
      fs::remove(record, ec);
    }
  }
  // A .bin whose record is gone (expired above, or never written).
  for (const auto& bin : bins)
    if (!fs::exists(fs::path(bin).replace_extension(".link"), ec)) fs::remove(bin, ec);
  return out;
}

}  // namespace notibus::link_files
