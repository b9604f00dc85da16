// What a tape entry keeps for its backward rule: which of its inputs and its output the rule reads
// back, and extra tensors the rule needs (a mask, indices), each with the storage version it had
// when recorded. A version that moved on by backward time means an in-place write changed what
// the rule would read: the sweep refuses to run it (check_saved_versions, saved.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include <wengert/tensor.hpp>

namespace wengert {

struct Node;

// Which of an entry's own inputs and output its rule reads: bit i for input i (the first
// kSavableInputs inputs can be read back), the bit after them for the output.
inline constexpr std::size_t kSavableInputs = 7;
enum Saves : std::uint8_t {
  kSaveNone = 0,
  kSaveIn0 = 1 << 0,
  kSaveIn1 = 1 << 1,
  kSaveIn2 = 1 << 2,
  kSaveOut = 1 << kSavableInputs,
};
inline bool saves_input(std::uint8_t saves, std::size_t i) {
  return i < kSavableInputs && (saves & (1u << i)) != 0;
}

// An extra tensor a rule needs (a mask, indices), named where the op records it and where its rule
// reads it:   record(..., rule, {{"mask", mask}});   ...   c.saved("mask")
struct SavedTensor {
  std::string name;
  Tensor tensor;
  std::uint64_t version = 0;  // its storage version when recorded (set by record)
};

// What an entry keeps for its rule. Checked at backward time against in-place writes, counted in
// the tape's "saved bytes". The inputs' versions are in their edges.
struct Saved {
  std::uint8_t values = kSaveNone;  // Saves bits: which inputs and whether the output
  std::uint64_t out_version = 0;
  std::vector<SavedTensor> extra;
};

namespace detail {
// Throws, naming the entry and the tensor, if something its rule reads was modified in place
// after it was saved. The sweep calls it right before running the rule.
void check_saved_versions(const Node& entry);
}  // namespace detail

}  // namespace wengert
