// A seeded random generator whose stream is identical on every machine and thread count:
// xoshiro256** seeded through splitmix64, consumed sequentially (never from parallel threads).
#pragma once

#include <array>
#include <cstdint>

#include "tensor.hpp"

namespace wengert {

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0x5eed);
  std::uint64_t next_u64();
  double uniform();                                          // [0, 1), 53 random bits
  double normal();                                           // standard normal (Box-Muller)
  std::uint64_t below(std::uint64_t n);                      // uniform integer in [0, n)
  std::array<std::uint64_t, 4> state() const { return s_; }  // for exact resume
  void set_state(const std::array<std::uint64_t, 4>& s) { s_ = s; }

 private:
  std::array<std::uint64_t, 4> s_;
};

Tensor uniform(const Shape& shape, double lo, double hi, Generator& gen, DType dtype = DType::f32);
Tensor normal(const Shape& shape, double mean, double stddev, Generator& gen,
              DType dtype = DType::f32);
// i64 integers uniform in [lo, hi).
Tensor randint(std::int64_t lo, std::int64_t hi, const Shape& shape, Generator& gen);
// 1 with probability probs[...] (each in [0, 1]), else 0; probs' shape and dtype.
Tensor bernoulli(const Tensor& probs, Generator& gen);
// Like torch.multinomial: rows of non-negative weights [C] or [N, C] (need not sum to 1) ->
// i64 class indices [num_samples] or [N, num_samples]; without replacement no class repeats.
Tensor multinomial(const Tensor& weights, std::int64_t num_samples, bool replacement,
                   Generator& gen);

}  // namespace wengert
