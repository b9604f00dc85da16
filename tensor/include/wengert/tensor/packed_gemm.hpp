// The pack-once GEMM: C[M, N] = A[M, K] @ W (+ C) for a right operand W that multiplies many
// left operands in a row, such as the recurrent weight of an RNN at every time step. W is packed
// once into the micro-panels of the GEMM kernel (gemm.hpp's, the one register-tile kernel), and
// each product then reads A in place, without packing it: at a recurrent step M is the batch and
// A the hidden state (a few KB), too thin for a general GEMM to amortise packing W every step.
#pragma once

#include "tensor.hpp"

namespace wengert {

// W [K, N] (f32 or f64, a 2-d view with any strides) in the packed layout of this CPU's kernel.
class PackedMatrix {
 public:
  PackedMatrix() = default;
  // `reuse`: an optional buffer to pack into when it is large enough and of W's dtype (callers
  // that pack once per call keep one, avoiding a fresh allocation and its page faults each time).
  explicit PackedMatrix(const Tensor& w, Tensor reuse = {});

  std::int64_t rows() const { return rows_; }  // K
  std::int64_t cols() const { return cols_; }  // N
  DType dtype() const { return panels_.dtype(); }
  const Tensor& panels() const { return panels_; }  // the packed elements, for reuse

 private:
  Tensor panels_;
  std::int64_t rows_ = 0, cols_ = 0;
};

// out = a @ w (+ out when accumulate), on the calling thread only (callers split M among their
// threads). a [M, K] and out [M, N] are 2-d views of w's dtype whose rows may be strided but whose
// elements within a row are contiguous (stride 1); out must not overlap a. Throws wengert::Error
// naming the shapes when they do not fit.
void packed_matmul_into(const Tensor& out, const Tensor& a, const PackedMatrix& w,
                        bool accumulate = false);

}  // namespace wengert
