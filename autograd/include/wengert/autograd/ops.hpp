// The calculus of wengert: every differentiable op, one line each, with its derivative.
// Notation: y the output, dy = d(loss)/dy, dx the gradient of input x; [p] is 1 where p holds.
// Broadcasting is undone once, by the engine (BackwardCtx::add sums a gradient down to its input's
// shape with sum_to), so no rule below mentions it. "(composed)" ops have no rule of their own:
// they are built from the others. Hand-written rules for numerics or speed name their composed
// twin, which the tests check they agree with. Sources: src/ops_<family>.cpp, forward and backward
// side by side.
#pragma once

#include <cstdint>
#include <vector>
#include <wengert/tensor.hpp>

#include "var.hpp"

namespace wengert {

// clang-format off
// --- arithmetic, broadcasting (ops_elementwise.cpp) ---
Var add(const Var& a, const Var& b);  // y = a + b    da = dy                 db = dy
Var sub(const Var& a, const Var& b);  // y = a - b    da = dy                 db = -dy
Var mul(const Var& a, const Var& b);  // y = a * b    da = dy * b             db = dy * a
Var div(const Var& a, const Var& b);  // y = a / b    da = dy / b             db = -dy * y / b
Var pow(const Var& a, const Var& b);  // y = a^b      da = dy * b * a^(b-1)   db = dy * y * ln(a) [a > 0]
Var pow(const Var& x, double p);      // y = x^p      dx = dy * p * x^(p-1)
Var add(const Var& x, double s);      // y = x + s    dx = dy
Var mul(const Var& x, double s);      // y = x * s    dx = dy * s
Var neg(const Var& x);                // y = -x       dx = -dy
// (composed) operators, with a Var or a double on either side; s / x = s * x^-1.
Var operator+(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator-(const Var& x);
Var operator+(const Var& x, double s);
Var operator+(double s, const Var& x);
Var operator-(const Var& x, double s);
Var operator-(double s, const Var& x);
Var operator*(const Var& x, double s);
Var operator*(double s, const Var& x);
Var operator/(const Var& x, double s);
Var operator/(double s, const Var& x);

// --- unary (ops_elementwise.cpp) ---
Var exp(const Var& x);                          // y = e^x              dx = dy * y
Var log(const Var& x);                          // y = ln x             dx = dy / x
Var sqrt(const Var& x);                         // y = sqrt x           dx = dy / (2 y)
Var tanh(const Var& x);                         // y = tanh x           dx = dy * (1 - y^2)
Var sigmoid(const Var& x);                      // y = 1 / (1 + e^-x)   dx = dy * y * (1 - y)    twin: composed
Var relu(const Var& x);                         // y = max(x, 0)        dx = dy * [y > 0]
Var abs(const Var& x);                          // y = |x|              dx = dy * sign(x)
Var clamp(const Var& x, double lo, double hi);  // y = min(max(x, lo), hi)   dx = dy * [lo <= x <= hi]
// cond is a tensor (no gradient); all three broadcast together.
Var where(const Tensor& cond, const Var& a, const Var& b);  // y = cond ? a : b   da = cond ? dy : 0   db = cond ? 0 : dy
// Ties split the gradient evenly between a and b, like PyTorch.
Var maximum(const Var& a, const Var& b);  // da = dy * ([a > b] + [a == b] / 2)   db = dy - da
Var minimum(const Var& a, const Var& b);  // da = dy * ([a < b] + [a == b] / 2)   db = dy - da

// --- reductions; empty axes = all axes (ops_reduce.cpp) ---
Var sum(const Var& x, const Axes& axes = {}, bool keepdim = false);        // dx = dy expanded to x's shape
Var mean(const Var& x, const Axes& axes = {}, bool keepdim = false);       // (composed) sum(x) / n
Var max(const Var& x, const Axes& axes = {}, bool keepdim = false);        // dx = dy * [x == y] / #ties (ties share, like torch.amax)
Var logsumexp(const Var& x, const Axes& axes = {}, bool keepdim = false);  // dx = dy * e^(x - y)              twin: log(sum(exp(x)))
Var softmax(const Var& x, std::int64_t axis = -1);                         // dx = y * (dy - sum(dy * y, axis))  twin: exp(x - logsumexp(x))
Var log_softmax(const Var& x, std::int64_t axis = -1);                     // dx = dy - e^y * sum(dy, axis)      twin: x - logsumexp(x)

// --- linear algebra and indexing (ops_linalg.cpp) ---
// NumPy matmul: 1-d operands promoted then squeezed, batch axes broadcast (and summed in backward).
Var matmul(const Var& a, const Var& b);                                  // da = dy @ b^T   db = a^T @ dy
// index is i64 of any shape; embedding lookup is index_select(weight, 0, ids).
Var index_select(const Var& x, std::int64_t axis, const Tensor& index);  // dx = index_add(x.shape, axis, index, dy)
Var gather(const Var& x, std::int64_t axis, const Tensor& index);        // dx = scatter_add(x.shape, axis, index, dy)

// --- views and joins: the gradient goes back into the viewed layout (ops_shape.cpp) ---
Var reshape(const Var& x, const Shape& shape);                        // dx = dy.reshape(x.shape)
Var flatten(const Var& x);                                            // (composed) reshape
Var permute(const Var& x, const std::vector<std::int64_t>& order);    // dx = dy.permute(inverse order)
Var transpose(const Var& x, std::int64_t a, std::int64_t b);          // (composed) permute
Var slice(const Var& x, std::int64_t axis, std::int64_t start,
          std::int64_t stop, std::int64_t step = 1);                  // dx = 0, dx[slice] = dy
Var narrow(const Var& x, std::int64_t axis, std::int64_t start,
           std::int64_t length);                                      // (composed) slice
Var select(const Var& x, std::int64_t axis, std::int64_t index);      // dx = 0, dx[.., index, ..] = dy
Var expand(const Var& x, const Shape& shape);                         // dx = sum_to(dy, x.shape)
Var squeeze(const Var& x, std::int64_t axis);                         // (composed) reshape
Var unsqueeze(const Var& x, std::int64_t axis);                       // (composed) reshape
Var concat(const std::vector<Var>& parts, std::int64_t axis = 0);     // dparts[i] = dy.narrow(axis, offset_i, size_i)
Var stack(const std::vector<Var>& parts, std::int64_t axis = 0);      // (composed) concat of unsqueeze
std::vector<Var> split(const Var& x, std::int64_t size, std::int64_t axis = 0);                       // (composed) slice
std::vector<Var> split(const Var& x, const std::vector<std::int64_t>& sizes, std::int64_t axis = 0);  // (composed) slice
std::vector<Var> chunk(const Var& x, std::int64_t chunks, std::int64_t axis = 0);                     // (composed) split

// --- losses and regularisation (ops_loss.cpp) ---
enum class Reduction { mean, sum, none };
struct LossOptions {
  Reduction reduction = Reduction::mean;  // mean: over the targets that are not ignored
  std::int64_t ignore_index = -100;       // targets equal to this contribute nothing
};
// Scores [N, C] (or [..., C]), targets i64 [N] (or [...]) in [0, C).
// Fused, one pass:  y = mean_i(logsumexp(x_i) - x_i[t_i])   dx = (softmax(x) - one_hot(t)) * dy / count
//                                                           twin: nll_loss(log_softmax(x), t)
Var cross_entropy(const Var& logits, const Tensor& targets, const LossOptions& options = {});
// y = mean_i(-log_probs[i, t_i])   (composed) gather, a constant mask for ignored rows, sum
Var nll_loss(const Var& log_probs, const Tensor& targets, const LossOptions& options = {});
// Inverted dropout: y = x * mask / (1 - p), mask ~ Bernoulli(1 - p); x itself when !training.
Var dropout(const Var& x, double p, Generator& gen, bool training = true);  // (composed) mul
// clang-format on

}  // namespace wengert
