// Randomized truncation: the segment-length distribution and the gradient reweighting
// described in truncation.hpp.
#include "wengert/lm/truncation.hpp"

#include <algorithm>

namespace wengert::lm {

RandomTruncation::RandomTruncation(std::int64_t steps) {
  check(steps > 0, "RandomTruncation: steps must be positive, got ", steps);
  min_length = (steps + 1) / 2;
  hazard = 1.0 / static_cast<double>(steps - min_length + 1);
}

std::int64_t RandomTruncation::sample(Generator& gen, std::int64_t max_length) const {
  std::int64_t length = std::min(min_length, max_length);
  while (length < max_length && gen.uniform() >= hazard) ++length;
  return length;
}

Var scale_gradient(const Var& x, double factor) {
  if (!x.defined() || factor == 1.0) return x;
  const Var constant = x.detach();
  return constant + (x - constant) * factor;
}

nn::RecurrentState scale_gradient(const nn::RecurrentState& state, double factor) {
  return {scale_gradient(state.h, factor), scale_gradient(state.c, factor)};
}

}  // namespace wengert::lm
