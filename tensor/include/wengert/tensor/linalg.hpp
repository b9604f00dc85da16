// matmul with NumPy semantics on top of the packed GEMM (gemm.hpp):
//   1-d @ 1-d -> 0-d dot; 2-d @ 2-d; 1-d operands are promoted to a row (left) or column (right)
//   and the added axis removed; n-d @ n-d multiplies the last two axes, batch axes broadcast.
// Transposed / strided operands go to the GEMM as strides, without a copy.
#pragma once

#include "tensor.hpp"

namespace wengert {

Tensor matmul(const Tensor& a, const Tensor& b);

// out (M x N, contiguous, already allocated) = alpha * a @ b + beta * out, 2-d only.
void matmul_into(Tensor& out, const Tensor& a, const Tensor& b, double alpha = 1.0,
                 double beta = 0.0);

}  // namespace wengert
