// PairMap: an open-addressing hash map from a pair of 32-bit symbol ids to a small value, used
// by BPE training (pair -> slot) and encoding (pair -> merge rank). Linear probing over a
// power-of-two table; entries are never erased (a zero count is simply kept).
#pragma once

#include <cstdint>
#include <vector>

namespace wengert::text::detail {

inline std::uint64_t pair_key(std::uint32_t left, std::uint32_t right) {
  return (static_cast<std::uint64_t>(left) << 32) | right;
}
inline std::uint32_t pair_left(std::uint64_t key) { return static_cast<std::uint32_t>(key >> 32); }
inline std::uint32_t pair_right(std::uint64_t key) { return static_cast<std::uint32_t>(key); }

template <class Value>
class PairMap {
 public:
  explicit PairMap(std::size_t expected = 16) { rehash(capacity_for(expected)); }

  // Pointer to the value of `key`, or nullptr.
  const Value* find(std::uint64_t key) const {
    for (std::size_t i = slot(key);; i = (i + 1) & mask_) {
      if (keys_[i] == key) return &values_[i];
      if (keys_[i] == empty_key) return nullptr;
    }
  }
  // The value of `key`, inserting `fresh` first when absent; `inserted` tells which.
  Value& get_or_insert(std::uint64_t key, const Value& fresh, bool& inserted) {
    if ((size_ + 1) * 2 > keys_.size()) rehash(keys_.size() * 2);
    std::size_t i = slot(key);
    for (; keys_[i] != empty_key; i = (i + 1) & mask_) {
      if (keys_[i] == key) {
        inserted = false;
        return values_[i];
      }
    }
    keys_[i] = key;
    values_[i] = fresh;
    ++size_;
    inserted = true;
    return values_[i];
  }
  std::size_t size() const { return size_; }

 private:
  // No real pair has this key: symbol ids stay far below 2^32 - 1.
  static constexpr std::uint64_t empty_key = ~std::uint64_t{0};

  static std::size_t capacity_for(std::size_t n) {
    std::size_t capacity = 16;
    while (capacity < n * 2) capacity *= 2;
    return capacity;
  }
  std::size_t slot(std::uint64_t key) const {
    key ^= key >> 31;  // a cheap mix (from splitmix64) so that nearby pairs spread out
    key *= 0x9e3779b97f4a7c15ULL;
    return static_cast<std::size_t>(key >> 20) & mask_;
  }
  void rehash(std::size_t capacity) {
    std::vector<std::uint64_t> old_keys = std::move(keys_);
    std::vector<Value> old_values = std::move(values_);
    keys_.assign(capacity, empty_key);
    values_.assign(capacity, Value{});
    mask_ = capacity - 1;
    for (std::size_t i = 0; i < old_keys.size(); ++i) {
      if (old_keys[i] == empty_key) continue;
      std::size_t j = slot(old_keys[i]);
      while (keys_[j] != empty_key) j = (j + 1) & mask_;
      keys_[j] = old_keys[i];
      values_[j] = std::move(old_values[i]);
    }
  }

  std::vector<std::uint64_t> keys_;
  std::vector<Value> values_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace wengert::text::detail
