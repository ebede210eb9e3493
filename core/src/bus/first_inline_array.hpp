// An array sized once, whose first element lives inline. Nearly every message
// goes to one group of one channel, so its tracker needs no allocation for
// them; and unlike a small_vector there is no capacity to keep (8 bytes less).
#pragma once

#include <cstdint>
#include <memory>

namespace notibus {

template <class T>
class first_inline_array {
 public:
  // Call once, before use.
  void resize(std::size_t n) {
    size_ = static_cast<std::uint32_t>(n);
    if (n > 1) rest_ = std::make_unique<T[]>(n - 1);
  }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T& operator[](std::size_t i) noexcept { return i == 0 ? first_ : rest_[i - 1]; }
  const T& operator[](std::size_t i) const noexcept { return i == 0 ? first_ : rest_[i - 1]; }

  template <class Array, class Value>
  struct iterator_of {
    Array* array;
    std::size_t at;
    Value& operator*() const noexcept { return (*array)[at]; }
    iterator_of& operator++() noexcept { return ++at, *this; }
    bool operator!=(const iterator_of& other) const noexcept { return at != other.at; }
  };
  using iterator = iterator_of<first_inline_array, T>;
  using const_iterator = iterator_of<const first_inline_array, const T>;
  iterator begin() noexcept { return {this, 0}; }
  iterator end() noexcept { return {this, size_}; }
  const_iterator begin() const noexcept { return {this, 0}; }
  const_iterator end() const noexcept { return {this, size_}; }

 private:
  T first_{};
  std::uint32_t size_ = 0;  // before rest_: after a 4-byte-aligned T it costs no padding
  std::unique_ptr<T[]> rest_;
};

}  // namespace notibus
