#include "link_store.hpp"

#include <notibus/plugin/text.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "link_files.hpp"
#include "packed_message.hpp"

namespace notibus {
namespace {

std::int64_t unix_seconds(link_store::clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string key_of(std::string_view message_id, std::size_t n) {
  return std::string(message_id) + "/" + std::to_string(n);
}

}  // namespace

link_store::link_store(const attachment_settings& s, std::filesystem::path dir,
                       stored_file_fn stored_file)
    : settings_(s), dir_(std::move(dir)), stored_file_(std::move(stored_file)) {
  if (dir_.empty()) return;
  std::lock_guard lock(mutex_);
  for (auto& k : link_files::load(dir_, clock::now()))
    add_locked({std::move(k.message_id), k.n, std::move(k.file), k.expires});
  evict_locked(clock::now());
}

void link_store::add_locked(entry e) {
  const std::string key = key_of(e.message_id, e.n);
  bytes_ += e.file.size();
  by_expiry_.emplace(e.expires, key);
  entries_.emplace(key, std::move(e));
}

void link_store::configure(const attachment_settings& s) {
  std::lock_guard lock(mutex_);
  settings_ = s;
}

bool link_store::enabled() const {
  std::lock_guard lock(mutex_);
  return settings_.links_enabled();
}

std::string link_store::signature_locked(std::string_view message_id, std::size_t n,
                                         std::int64_t expires) const {
  const std::string signed_text = key_of(message_id, n) + "/" + std::to_string(expires);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), settings_.link_secret.data(), static_cast<int>(settings_.link_secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
       &length);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

std::string link_store::link(std::string_view message_id, std::size_t n,
                             const std::shared_ptr<const attachment_block>& files,
                             clock::time_point now) {
  std::lock_guard lock(mutex_);
  // Whole seconds, rounded up: the link lasts at least the ttl.
  const std::int64_t expires =
      unix_seconds(now + settings_.link_ttl + std::chrono::milliseconds(999));
  const auto expiry = clock::time_point(std::chrono::seconds(expires));
  const attachment& file = files->list.at(n);
  auto it = entries_.find(key_of(message_id, n));
  if (it == entries_.end()) {
    entry e{std::string(message_id), n, file, expiry};
    if (!dir_.empty())
      (void)link_files::save(
          dir_, {e.message_id, n, expiry, file},
          stored_file_ ? stored_file_(e.message_id, n) : std::filesystem::path());
    add_locked(std::move(e));
  } else if (expiry > it->second.expires) {
    by_expiry_.erase({it->second.expires, it->first});
    it->second.expires = expiry;
    by_expiry_.emplace(expiry, it->first);
    if (!dir_.empty()) link_files::touch(dir_, {it->second.message_id, n, expiry, file});
  }
  evict_locked(now);
  std::string base = settings_.link_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/v1/attachments/" + sdk::percent_encode(message_id) + "/" + std::to_string(n) +
         "/" + sdk::percent_encode(file.name) + "?expires=" + std::to_string(expires) +
         "&sig=" + signature_locked(message_id, n, expires);
}

// Expired files go; then, over the bound, those whose links expire first.
void link_store::evict_locked(clock::time_point now) {
  while (!by_expiry_.empty()) {
    const auto first = by_expiry_.begin();
    if (first->first > now && bytes_ <= settings_.link_max_bytes) break;
    auto it = entries_.find(first->second);
    bytes_ -= it->second.file.size();
    if (!dir_.empty()) link_files::remove(dir_, it->second.message_id, it->second.n);
    entries_.erase(it);
    by_expiry_.erase(first);
  }
}

link_verdict link_store::find(std::string_view message_id, std::size_t n, std::int64_t expires,
                              std::string_view signature, clock::time_point now, linked_file& out) {
  std::lock_guard lock(mutex_);
  if (!settings_.links_enabled()) return link_verdict::unknown;
  const std::string expected = signature_locked(message_id, n, expires);
  if (signature.size() != expected.size() ||
      CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0)
    return link_verdict::bad_signature;
  if (clock::time_point(std::chrono::seconds(expires)) <= now) return link_verdict::expired;
  auto it = entries_.find(key_of(message_id, n));
  if (it == entries_.end() || it->second.expires <= now) return link_verdict::unknown;
  const attachment& file = it->second.file;
  out.name = file.name;
  out.media_type = file.media_type;
  out.keep = file.content;
  out.bytes = file.bytes();
  out.expires = clock::time_point(std::chrono::seconds(expires));
  return link_verdict::ok;
}

}  // namespace notibus
