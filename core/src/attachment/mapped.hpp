// An open file's bytes as an attachment's, mapped read-only (the caller
// closes the descriptor; the mapping stays).
#pragma once

#include <notibus/attachment.hpp>

#include <filesystem>
#include <memory>

namespace notibus {

// Throws std::system_error naming `path` (for messages only) when the file is
// not a regular file or cannot be mapped.
std::shared_ptr<const attachment_bytes> map_open_file(int fd, const std::filesystem::path& path);

}  // namespace notibus
