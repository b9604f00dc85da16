// The packed GEMM itself, written once for any xsimd architecture and compiled once per
// instruction set by gemm_avx512.cpp / gemm_avx2.cpp / gemm_sse2.cpp (include it nowhere else).
// It follows LAFF-On-PfHP's "GEMM for readers": five blocking loops, outermost first,
//   loop5_jc: N by nc   -> pack B panel  (kc x nc, L3)  with loop4_pc inside
//   loop4_pc: K by kc   -> pack A block  (mc x kc, L2)  with loop3_ic inside
//   loop3_ic: M by mc
//   loop2_jr: nc by nr  (one B micro-panel, kc x nr, stays in L1)
//   loop1_ir: mc by mr  -> micro_kernel: an mr x nr tile of C held in registers,
// updated by kc rank-1 updates (one SIMD load of A per mr/width rows, one broadcast of B per column,
// then fused multiply-adds). Packing pads partial panels with zeros, so the micro-kernel never
// branches on the edge of the matrix; edge tiles of C go through a small buffer instead.
//
// Everything here is a template on Arch (or a member of PackedGemm<T, Arch>): the same function
// compiled with different instruction sets must not share a symbol, or the linker could keep the
// AVX-512 copy and run it on a machine without AVX-512.
#pragma once

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "gemm_dispatch.hpp"

namespace wengert::detail {

template <class T, class Arch>
struct PackedGemm {
  static constexpr BlockSizes bs = block_sizes<T, Arch>();
  static constexpr int MR = bs.mr;
  static constexpr int NR = bs.nr;
  using Batch = xsimd::batch<T, Arch>;
  static constexpr int V = MR / int(Batch::size);  // SIMD registers per column of the C tile
  static_assert(MR % Batch::size == 0 && bs.mc % MR == 0 && bs.nc % NR == 0);

  static int64_t min(int64_t x, int64_t y) { return x < y ? x : y; }

  // ---- packing ------------------------------------------------------------------------------
  // A block (mc x kc, any strides) -> micro-panels of MR rows, each stored column after column:
  //   dst[(i / MR) * MR * kc + k * MR + i % MR] = A(i, k), rows past mc padded with zeros.
  // The micro-kernel then reads A with unit stride, MR contiguous values per k.
  static void pack_a(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, T* dst) {
    for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
      const T* src = a + i0 * rs;
      const int64_t mr = min(MR, mc - i0);
      if (mr == MR && rs == 1) {  // column-major A: each column slice is already contiguous
        for (int64_t k = 0; k < kc; ++k)
          for (int i = 0; i < MR; ++i) dst[k * MR + i] = src[k * cs + i];
      } else if (mr == MR && cs == 1) {  // row-major A: a transpose, read each row once
        for (int i = 0; i < MR; ++i)
          for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = src[i * rs + k];
      } else {  // general strides, or the last partial panel
        for (int64_t k = 0; k < kc; ++k)
          for (int i = 0; i < MR; ++i) dst[k * MR + i] = i < mr ? src[i * rs + k * cs] : T(0);
      }
    }
  }

  // B panel (kc x nc, any strides) -> micro-panels of NR columns, each stored row after row:
  //   dst[(j / NR) * NR * kc + k * NR + j % NR] = B(k, j), columns past nc padded with zeros.
  static void pack_b(int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs, T* dst) {
    for (int64_t j0 = 0; j0 < nc; j0 += NR, dst += NR * kc) {
      const T* src = b + j0 * cs;
      const int64_t nr = min(NR, nc - j0);
      if (nr == NR && cs == 1) {  // row-major B: NR contiguous values per row
        for (int64_t k = 0; k < kc; ++k)
          for (int j = 0; j < NR; ++j) dst[k * NR + j] = src[k * rs + j];
      } else if (nr == NR && rs == 1) {  // column-major B: NR streams, each read sequentially
        for (int64_t k = 0; k < kc; ++k)
          for (int j = 0; j < NR; ++j) dst[k * NR + j] = src[j * cs + k];
      } else {
        for (int64_t k = 0; k < kc; ++k)
          for (int j = 0; j < NR; ++j) dst[k * NR + j] = j < nr ? src[k * rs + j * cs] : T(0);
      }
    }
  }

  // ---- micro-kernel -----------------------------------------------------------------------
  // C(0:MR, 0:NR) = alpha * a~ @ b~ + beta * C, where a~ is an MR x kc micro-panel of packed A
  // and b~ a kc x NR micro-panel of packed B. C's rows are unit-stride, column j starts at
  // c + j * ldc. The MR x NR accumulators live in registers for the whole k loop:
  //   for each k:  a_k = A~(0:MR, k)           (V aligned loads)
  //                for each j: acc(:, j) += a_k * broadcast(B~(k, j))   (V fmas)
  // beta == 0 never reads C, so NaNs already in C do not leak into the result.
  static void micro_kernel(int64_t kc, const T* a, const T* b, T alpha, T beta, T* c,
                           int64_t ldc) {
    Batch acc[NR][V];
#pragma GCC unroll 64
    for (int j = 0; j < NR; ++j)
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) acc[j][v] = Batch(T(0));

#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
      Batch a_k[V];
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) a_k[v] = Batch::load_aligned(a + v * Batch::size);
#pragma GCC unroll 64
      for (int j = 0; j < NR; ++j) {
        const Batch b_kj(b[j]);
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) acc[j][v] = xsimd::fma(a_k[v], b_kj, acc[j][v]);
      }
      a += MR;
      b += NR;
    }

    // C = alpha * acc + beta * C with one explicit fma per register, the same operations on every
    // path (full tile or edge buffer), so results never depend on where a tile falls.
    const Batch alpha_v(alpha), beta_v(beta);
#pragma GCC unroll 64
    for (int j = 0; j < NR; ++j) {
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) {
        T* cp = c + j * ldc + v * Batch::size;
        if (beta == T(0)) {
          (alpha_v * acc[j][v]).store_unaligned(cp);
        } else {
          xsimd::fma(alpha_v, acc[j][v], beta_v * Batch::load_unaligned(cp)).store_unaligned(cp);
        }
      }
    }
  }

  // A tile on the edge of C (mr < MR or nr < NR) or a C without unit row stride: run the same
  // micro-kernel on an aligned MR x NR buffer, copying the valid part of C in and out.
  static void micro_kernel_edge(int64_t mr, int64_t nr, int64_t kc, const T* a, const T* b,
                                T alpha, T beta, T* c, int64_t c_rs, int64_t c_cs) {
    alignas(64) T tile[MR * NR];
    for (int64_t j = 0; j < NR; ++j)
      for (int64_t i = 0; i < MR; ++i)
        tile[j * MR + i] = (beta != T(0) && i < mr && j < nr) ? c[i * c_rs + j * c_cs] : T(0);
    micro_kernel(kc, a, b, alpha, beta, tile, MR);
    for (int64_t j = 0; j < nr; ++j)
      for (int64_t i = 0; i < mr; ++i) c[i * c_rs + j * c_cs] = tile[j * MR + i];
  }

  // ---- the five loops -----------------------------------------------------------------------
  // Loop 1: walk the packed A block one MR-row micro-panel at a time, against one B micro-panel.
  static void loop1_ir(int64_t mc, int64_t nr, int64_t kc, const T* a_block, const T* b_panel,
                       T alpha, T beta, T* c, int64_t c_rs, int64_t c_cs) {
    for (int64_t ir = 0; ir < mc; ir += MR) {
      const int64_t mr = min(MR, mc - ir);
      const T* a_panel = a_block + ir * kc;
      T* c_tile = c + ir * c_rs;
      if (mr == MR && nr == NR && c_rs == 1)
        micro_kernel(kc, a_panel, b_panel, alpha, beta, c_tile, c_cs);
      else
        micro_kernel_edge(mr, nr, kc, a_panel, b_panel, alpha, beta, c_tile, c_rs, c_cs);
    }
  }

  // Loop 2: walk the packed B panel one NR-column micro-panel at a time (it stays in L1).
  static void loop2_jr(int64_t mc, int64_t nc, int64_t kc, const T* a_block, const T* b_panel,
                       T alpha, T beta, T* c, int64_t c_rs, int64_t c_cs) {
    for (int64_t jr = 0; jr < nc; jr += NR)
      loop1_ir(mc, min(NR, nc - jr), kc, a_block, b_panel + jr * kc, alpha, beta, c + jr * c_cs,
               c_rs, c_cs);
  }

  // Loop 3: rows of C by mc; pack the mc x kc block of A (reused by every jr) into L2.
  static void loop3_ic(const GemmProblem<T>& p, int64_t jc, int64_t nc, int64_t pc, int64_t kc,
                       T beta, const T* b_panel, T* a_block) {
    for (int64_t ic = 0; ic < p.m; ic += bs.mc) {
      const int64_t mc = min(bs.mc, p.m - ic);
      pack_a(mc, kc, p.a + ic * p.a_rs + pc * p.a_cs, p.a_rs, p.a_cs, a_block);
      loop2_jr(mc, nc, kc, a_block, b_panel, p.alpha, beta, p.c + ic * p.c_rs + jc * p.c_cs,
               p.c_rs, p.c_cs);
    }
  }

  // Loop 4: the inner dimension by kc; pack the kc x nc panel of B (reused by every ic).
  // Only the first rank-kc update applies the caller's beta; later ones accumulate (beta = 1).
  static void loop4_pc(const GemmProblem<T>& p, int64_t jc, int64_t nc, T* a_block, T* b_panel) {
    for (int64_t pc = 0; pc < p.k; pc += bs.kc) {
      const int64_t kc = min(bs.kc, p.k - pc);
      pack_b(kc, nc, p.b + pc * p.b_rs + jc * p.b_cs, p.b_rs, p.b_cs, b_panel);
      loop3_ic(p, jc, nc, pc, kc, pc == 0 ? p.beta : T(1), b_panel, a_block);
    }
  }

  // Loop 5: columns of C by nc.
  static void loop5_jc(const GemmProblem<T>& p, T* workspace) {
    T* a_block = workspace;  // (mc rounded up to MR) x kc
    T* b_panel = workspace + bs.mc * bs.kc;
    for (int64_t jc = 0; jc < p.n; jc += bs.nc)
      loop4_pc(p, jc, min(bs.nc, p.n - jc), a_block, b_panel);
  }
};

template <class T>
template <class Arch>
void GemmKernel<T>::operator()(Arch, const GemmProblem<T>& p, T* workspace) const {
  PackedGemm<T, Arch>::loop5_jc(p, workspace);
}

}  // namespace wengert::detail
