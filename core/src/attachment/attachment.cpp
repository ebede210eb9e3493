#include <notibus/attachment.hpp>
#include <notibus/plugin/text.hpp>

#include "mapped.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <system_error>

namespace notibus {
namespace {

class owned_bytes final : public attachment_bytes {
 public:
  explicit owned_bytes(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string_view view() const noexcept override { return bytes_; }

 private:
  std::string bytes_;
};

class shared_region final : public attachment_bytes {
 public:
  shared_region(std::shared_ptr<const std::string> buffer, std::string_view region)
      : buffer_(std::move(buffer)), region_(region) {}
  std::string_view view() const noexcept override { return region_; }

 private:
  std::shared_ptr<const std::string> buffer_;
  std::string_view region_;
};

// A file mapped read-only: its pages come from the page cache, shared by
// every delivery, and only those being sent are resident.
class mapped_file final : public attachment_bytes {
 public:
  mapped_file(void* at, std::size_t size) : at_(at), size_(size) {}
  ~mapped_file() override {
    if (size_ != 0) ::munmap(at_, size_);
  }
  std::string_view view() const noexcept override {
    return size_ == 0 ? std::string_view() : std::string_view(static_cast<const char*>(at_), size_);
  }

 private:
  void* at_;
  std::size_t size_;
};

[[noreturn]] void cannot_read(const std::filesystem::path& path, int err) {
  throw std::system_error(err, std::generic_category(), "cannot read attachment " + path.string());
}

// "Image/PNG; charset=X" -> "image/png; charset=X": the type and subtype
// have no case (RFC 2045), a parameter's value may.
std::string with_lower_type(std::string_view t) {
  std::string out(t);
  const std::size_t end = std::min(out.find(';'), out.size());
  for (std::size_t i = 0; i < end; ++i)
    out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
  return out;
}

// "type/subtype" with optional parameters, printable ASCII only: it goes
// into header fields, where CR or LF would start a header of its own.
bool is_media_type(std::string_view t) {
  const std::size_t slash = t.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == t.size() || t.size() > 255)
    return false;
  for (char c : t)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

}  // namespace

std::shared_ptr<const attachment_bytes> map_open_file(int fd, const std::filesystem::path& path) {
  struct stat st {};
  const int err = ::fstat(fd, &st) != 0 ? errno : S_ISREG(st.st_mode) ? 0 : EISDIR;
  if (err != 0) cannot_read(path, err);
  const auto size = static_cast<std::size_t>(st.st_size);
  void* at = nullptr;
  if (size != 0) {
    at = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (at == MAP_FAILED) cannot_read(path, errno);
  }
  return std::make_shared<mapped_file>(at, size);
}

attachment attachment::from_bytes(std::string name, std::string bytes, std::string media_type) {
  return {std::move(name), std::move(media_type), std::make_shared<owned_bytes>(std::move(bytes))};
}

attachment attachment::from_shared(std::string name, std::shared_ptr<const std::string> buffer,
                                   std::string_view bytes, std::string media_type) {
  return {std::move(name), std::move(media_type),
          std::make_shared<shared_region>(std::move(buffer), bytes)};
}

attachment attachment::from_file(const std::filesystem::path& path, std::string name,
                                 std::string media_type) {
  if (name.empty()) name = path.filename().string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) cannot_read(path, errno);
  try {
    auto bytes = map_open_file(fd, path);
    ::close(fd);  // the mapping stays valid
    return {std::move(name), std::move(media_type), std::move(bytes)};
  } catch (...) {
    ::close(fd);
    throw;
  }
}

std::optional<std::string> attachment_name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > 255) return "is longer than 255 bytes";
  if (!sdk::is_valid_utf8(name)) return "is not valid UTF-8";
  if (name == "." || name == "..") return "is not a file name";
  for (char c : name) {
    if (c == '/' || c == '\\') return "holds a directory separator (give the file name alone)";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "holds a control character";
  }
  return std::nullopt;
}

std::optional<attachment_problem> check_attachments(const std::vector<attachment>& list,
                                                    const attachment_settings& limits) {
  const auto at = [](std::size_t i) { return "attachments[" + std::to_string(i) + "]"; };
  if (list.size() > static_cast<std::uint64_t>(limits.max_count))
    return attachment_problem{"attachments",
                              std::to_string(list.size()) +
                                  " attachments, over attachments.max_count (" +
                                  std::to_string(limits.max_count) + ")",
                              true};
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const attachment& a = list[i];
    if (auto problem = attachment_name_problem(a.name))
      return attachment_problem{at(i) + ".name", "the file name " + *problem, false};
    if (!a.media_type.empty() && !is_media_type(a.media_type))
      return attachment_problem{at(i) + ".type", "is not a media type (type/subtype)", false};
    if (!a.url.empty() && !a.content)
      return attachment_problem{at(i) + ".url",
                                "was not fetched (only `notibus serve` and `send` fetch)", false};
    if (a.size() == 0) return attachment_problem{at(i), "is empty (0 bytes)", false};
    if (a.size() > limits.max_size)
      return attachment_problem{at(i),
                                std::to_string(a.size()) + " bytes, over attachments.max_size (" +
                                    std::to_string(limits.max_size) + ")",
                                true};
    total += a.size();
  }
  if (total > limits.max_total)
    return attachment_problem{"attachments",
                              std::to_string(total) +
                                  " bytes in all, over attachments.max_total (" +
                                  std::to_string(limits.max_total) + ")",
                              true};
  return std::nullopt;
}

void settle_media_types(std::vector<attachment>& list) {
  for (attachment& a : list)
    a.media_type =
        a.media_type.empty() ? sniff_media_type(a.bytes(), a.name) : with_lower_type(a.media_type);
}

}  // namespace notibus
