// The one loop every elementwise op, copy and fill runs on: N operands of one shape, each with its
// own strides (0 on a broadcast axis). Axes are merged where all operands allow it, so the callback
// gets rows as long as possible:  row(offsets, n, steps)  covers  operand k's elements
// offsets[k] + i * steps[k]  for i in [0, n). Large loops are split across OpenMP threads.
#pragma once

#include <omp.h>

#include <array>
#include <cstdint>

#include "wengert/tensor/shape.hpp"

namespace wengert::detail {

// Below this many elements a loop stays on one thread: thread start-up (~1-2 us) would cost more.
inline constexpr std::int64_t kParallelElementwise = 1 << 15;

template <std::size_t N>
struct RowPlan {
  Shape shape;  // merged shape, at least 1-d; the last axis is the row
  std::array<Strides, N> strides;
  std::array<std::int64_t, N> base{};
};

template <std::size_t N>
RowPlan<N> plan_rows(const Shape& shape, const std::array<const Strides*, N>& strides,
                     const std::array<std::int64_t, N>& base) {
  RowPlan<N> plan;
  plan.base = base;
  // Keep only axes of extent != 1, then merge axis pairs that are contiguous for every operand.
  for (std::size_t axis = 0; axis < shape.size(); ++axis) {
    if (shape[axis] == 1) continue;
    const bool can_merge = !plan.shape.empty() && [&] {
      for (std::size_t k = 0; k < N; ++k)
        if (plan.strides[k].back() != (*strides[k])[axis] * shape[axis]) return false;
      return true;
    }();
    if (can_merge) {
      plan.shape.back() *= shape[axis];
      for (std::size_t k = 0; k < N; ++k) plan.strides[k].back() = (*strides[k])[axis];
    } else {
      plan.shape.push_back(shape[axis]);
      for (std::size_t k = 0; k < N; ++k) plan.strides[k].push_back((*strides[k])[axis]);
    }
  }
  if (plan.shape.empty()) {  // a scalar, or all extents 1: one row of one element
    plan.shape.push_back(1);
    for (std::size_t k = 0; k < N; ++k) plan.strides[k].push_back(0);
  }
  return plan;
}

// Offsets of the start of row `r` (row-major over all axes but the last).
template <std::size_t N>
std::array<std::int64_t, N> row_offsets(const RowPlan<N>& plan, std::int64_t r) {
  std::array<std::int64_t, N> offsets = plan.base;
  for (std::size_t axis = plan.shape.size() - 1; axis-- > 0;) {
    const std::int64_t i = r % plan.shape[axis];
    r /= plan.shape[axis];
    for (std::size_t k = 0; k < N; ++k) offsets[k] += i * plan.strides[k][axis];
  }
  return offsets;
}

// `allow_parallel` is false for loops whose rows write shared outputs (reductions).
template <std::size_t N, class Row>
void for_each_row(const Shape& shape, const std::array<const Strides*, N>& strides,
                  const std::array<std::int64_t, N>& base, Row&& row, bool allow_parallel = true) {
  if (numel_of(shape) == 0) return;
  const RowPlan<N> plan = plan_rows<N>(shape, strides, base);
  const std::int64_t length = plan.shape.back();
  const std::int64_t rows = numel_of(plan.shape) / length;
  std::array<std::int64_t, N> steps;
  for (std::size_t k = 0; k < N; ++k) steps[k] = plan.strides[k].back();
  const bool parallel =
      allow_parallel && rows * length >= kParallelElementwise && omp_get_max_threads() > 1;

  if (!parallel) {
    for (std::int64_t r = 0; r < rows; ++r) row(row_offsets(plan, r), length, steps);
  } else if (rows > 1) {
    // Many rows: each thread takes a contiguous range of rows.
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) row(row_offsets(plan, r), length, steps);
  } else {
    // One long row: split it into per-thread pieces (multiples of 64 elements keep SIMD aligned).
    const std::int64_t threads = omp_get_max_threads();
    const std::int64_t piece = ((length + threads - 1) / threads + 63) / 64 * 64;
#pragma omp parallel for schedule(static)
    for (std::int64_t t = 0; t < threads; ++t) {
      const std::int64_t begin = t * piece;
      if (begin >= length) continue;
      const std::int64_t n = std::min(piece, length - begin);
      std::array<std::int64_t, N> offsets = plan.base;
      for (std::size_t k = 0; k < N; ++k) offsets[k] += begin * steps[k];
      row(offsets, n, steps);
    }
  }
}

}  // namespace wengert::detail
