// Randomized truncation of backpropagation through time (Tallec & Ollivier 2017, "Unbiasing
// Truncated Backpropagation Through Time"; d2l 9.7.1.2). A segment is one minibatch of the
// sequential stream: the state is detached at its start, so gradients never cross it.
//
// Segment lengths. With T = --steps, Tmin = ceil(T / 2) and c = 1 / (T - Tmin + 1), a segment
// runs Tmin steps, then after each further step ends with probability c (a constant hazard):
//   L = Tmin + K,   K ~ Geometric(c) on {0, 1, ...},   E[L] = Tmin + (1 - c) / c = T.
// The last segment of a stream is cut at the stream's end (that cut is not a truncation).
//
// Reweighting (--unbiased). A truncation after in-segment step j happens with probability
// c_j = 0 for j < Tmin and c_j = c from then on. Each time the gradient flows back across such a
// point without having been truncated there, it is multiplied by xi_j = 1 / (1 - c_j): the
// gradient of the state entering step j (j >= Tmin) is scaled by w = 1 / (1 - c). Given the
// past, E[xi_j] = (1 - c_j) / (1 - c_j) + c_j * 0 = 1, so the expected product of the factors
// along any backward path is 1 and the expected gradient is full BPTT's (over the stream),
// at the price of variance from long, heavily weighted segments. To keep every token's weight
// equal whatever its segment's length, the loss of a segment is sum(NLL) / (T * B), not a mean.
#pragma once

#include <cstdint>
#include <wengert/autograd.hpp>
#include <wengert/nn/recurrent.hpp>

namespace wengert::lm {

struct RandomTruncation {
  std::int64_t min_length;  // Tmin = ceil(T / 2)
  double hazard;            // c = 1 / (T - Tmin + 1)

  explicit RandomTruncation(std::int64_t steps);
  // Tmin + K with K ~ Geometric(hazard), drawn as a run of Bernoulli trials; at most max_length.
  std::int64_t sample(Generator& gen, std::int64_t max_length) const;
  // w = 1 / (1 - c): the factor on the gradient of the state entering steps j >= Tmin.
  double crossing_weight() const { return hazard < 1 ? 1.0 / (1.0 - hazard) : 1.0; }
};

// y = x exactly in the forward pass (x_d + (x - x_d) * w with x_d = x.detach(), and x - x_d is
// exactly 0); dy * w flows back into x. A composition, so it needs no rule of its own.
Var scale_gradient(const Var& x, double factor);
nn::RecurrentState scale_gradient(const nn::RecurrentState& state, double factor);

}  // namespace wengert::lm
