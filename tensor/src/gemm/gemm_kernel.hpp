// The packed GEMM itself, written once for any xsimd architecture and compiled once per
// instruction set by gemm_avx512.cpp / gemm_avx2.cpp / gemm_sse2.cpp (include it nowhere else).
// It follows LAFF-On-PfHP's "GEMM for readers": five blocking loops, outermost first,
//   loop5_jc: N by nc   -> pack B panel  (kc x nc, L3)  with loop4_pc inside
//   loop4_pc: K by kc   -> pack A block  (mc x kc, L2)  with loop3_ic inside
//   loop3_ic: M by mc
//   loop2_jr: nc by nr  (one B micro-panel, kc x nr, stays in L1)
//   loop1_ir: mc by mr  -> micro_kernel: an mr x nr tile of C held in registers,
// updated by kc rank-1 updates (one SIMD load of A per mr/width rows, one broadcast of B per
// column, then fused multiply-adds). Packing pads partial panels with zeros, so the micro-kernel
// never branches on the edge of the matrix; edge tiles of C go through a small buffer instead.
//
// Everything here is a template on Arch (or a member of PackedGemm<T, Arch>): the same function
// compiled with different instruction sets must not share a symbol, or the linker could keep the
// AVX-512 copy and run it on a machine without AVX-512.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <xsimd/xsimd.hpp>

#include "gemm_dispatch.hpp"
#include "thread_workspace.hpp"

namespace wengert::detail {

template <class T, class Arch>
struct PackedGemm {
  static constexpr BlockSizes bs = block_sizes<T, Arch>();
  static constexpr int MR = bs.mr;
  static constexpr int NR = bs.nr;
  using Batch = xsimd::batch<T, Arch>;
  static constexpr int V = MR / int(Batch::size);  // SIMD registers per column of the C tile
  static_assert(MR % Batch::size == 0 && bs.mc % MR == 0 && bs.nc % NR == 0);

  static constexpr int64_t kLine = 64 / sizeof(T);  // elements per cache line
  // Packing reads A and B from L3 or memory; asking for the data a few rows (or, in a transpose,
  // a few cache lines) ahead hides part of the latency (measured: packing time -20 %).
  static constexpr int64_t kPrefetchAhead = 4;
  static int64_t min(int64_t x, int64_t y) { return x < y ? x : y; }

  // ---- packing ------------------------------------------------------------------------------
  // A block (mc x kc, any strides) -> micro-panels of MR rows, each stored column after column:
  //   dst[(i / MR) * MR * kc + k * MR + i % MR] = A(i, k), rows past mc padded with zeros.
  // The micro-kernel then reads A with unit stride, MR contiguous values per k. The loops follow
  // the source: a column-major A is read one whole column at a time, a row-major A one row at a
  // time (a transpose), so the hardware prefetcher sees long sequential streams either way.
  static void pack_a(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, T* dst) {
    const int64_t full = mc / MR * MR;  // rows in whole micro-panels
    if (rs == 1) {
      for (int64_t k = 0; k < kc; ++k)
        for (int64_t i0 = 0; i0 < full; i0 += MR) {
          for (int i = 0; i < MR; i += kLine)
            __builtin_prefetch(a + (k + kPrefetchAhead) * cs + i0 + i);
          for (int i = 0; i < MR; ++i) dst[i0 * kc + k * MR + i] = a[k * cs + i0 + i];
        }
    } else if (cs == 1) {  // transpose in chunks of one cache line per row: MR misses in flight
      for (int64_t i0 = 0; i0 < full; i0 += MR)
        for (int64_t k0 = 0; k0 < kc; k0 += kLine) {
          const int64_t k1 = min(kc, k0 + kLine);
          for (int i = 0; i < MR; ++i) {
            __builtin_prefetch(a + (i0 + i) * rs + k0 + kPrefetchAhead * kLine);
            for (int64_t k = k0; k < k1; ++k) dst[i0 * kc + k * MR + i] = a[(i0 + i) * rs + k];
          }
        }
    } else {
      for (int64_t i0 = 0; i0 < full; i0 += MR)
        for (int64_t k = 0; k < kc; ++k)
          for (int i = 0; i < MR; ++i) dst[i0 * kc + k * MR + i] = a[(i0 + i) * rs + k * cs];
    }
    if (full < mc) {  // the last, partial micro-panel
      const int64_t mr = mc - full;
      for (int64_t k = 0; k < kc; ++k)
        for (int i = 0; i < MR; ++i)
          dst[full * kc + k * MR + i] = i < mr ? a[(full + i) * rs + k * cs] : T(0);
    }
  }

  // B panel (kc x nc, any strides) -> micro-panels of NR columns, each stored row after row:
  //   dst[(j / NR) * NR * kc + k * NR + j % NR] = B(k, j), columns past nc padded with zeros.
  static void pack_b(int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs, T* dst) {
    const int64_t full = nc / NR * NR;
    if (cs == 1) {
      for (int64_t k = 0; k < kc; ++k) {
        for (int64_t j = 0; j < full; j += kLine)
          __builtin_prefetch(b + (k + kPrefetchAhead) * rs + j);
        for (int64_t j0 = 0; j0 < full; j0 += NR)
          for (int j = 0; j < NR; ++j) dst[j0 * kc + k * NR + j] = b[k * rs + j0 + j];
      }
    } else if (rs == 1) {  // transpose, as in pack_a
      for (int64_t j0 = 0; j0 < full; j0 += NR)
        for (int64_t k0 = 0; k0 < kc; k0 += kLine) {
          const int64_t k1 = min(kc, k0 + kLine);
          for (int j = 0; j < NR; ++j) {
            __builtin_prefetch(b + (j0 + j) * cs + k0 + kPrefetchAhead * kLine);
            for (int64_t k = k0; k < k1; ++k) dst[j0 * kc + k * NR + j] = b[(j0 + j) * cs + k];
          }
        }
    } else {
      for (int64_t j0 = 0; j0 < full; j0 += NR)
        for (int64_t k = 0; k < kc; ++k)
          for (int j = 0; j < NR; ++j) dst[j0 * kc + k * NR + j] = b[k * rs + (j0 + j) * cs];
    }
    if (full < nc) {
      const int64_t nr = nc - full;
      for (int64_t k = 0; k < kc; ++k)
        for (int j = 0; j < NR; ++j)
          dst[full * kc + k * NR + j] = j < nr ? b[k * rs + (full + j) * cs] : T(0);
    }
  }

  // ---- micro-kernel -----------------------------------------------------------------------
  // C(0:R*W, 0:NC) = alpha * a~ @ b~ + beta * C for a tile of R SIMD registers (W = Batch::size
  // rows each) by NC columns, where a~ is a packed MR x kc micro-panel of A and b~ a packed
  // kc x NR micro-panel of B. The full tile is R = MR / W, NC = NR; smaller instances serve the
  // edges of C, so zero padding costs loads but no fused multiply-adds. C's rows are unit-stride,
  // column j starts at c + j * ldc. The accumulators live in registers for the whole k loop:
  //   for each k:  a_k = A~(0:R*W, k)                                  (R aligned loads)
  //                for each j: acc(:, j) += a_k * broadcast(B~(k, j))   (R fmas)
  // beta == 0 never reads C, so NaNs already in C do not leak into the result.
  // kRowsB: B~ is not packed but read in place from NC rows of a row-major matrix, B~(k, j) =
  // b[j * ldb + k] (the left operand of packed_matmul_into, see packed_step below); else ldb is
  // unused and B~(k, j) = b[k * NR + j].
  template <int R, int NC, bool kRowsB = false>
  static void micro_kernel(int64_t kc, const T* a, const T* b, int64_t ldb, T alpha, T beta, T* c,
                           int64_t ldc) {
    constexpr int W = Batch::size;
    // Ask for C's lines now; they are only touched after the k loop, so the misses overlap it.
    for (int j = 0; j < NC; ++j)
      for (int i = 0; i < R * W; i += kLine) __builtin_prefetch(c + j * ldc + i, 1);

    Batch acc[NC][R];
#pragma GCC unroll 64
    for (int j = 0; j < NC; ++j)
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[j][r] = Batch(T(0));

#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
      Batch a_k[R];
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) a_k[r] = Batch::load_aligned(a + r * W);
#pragma GCC unroll 64
      for (int j = 0; j < NC; ++j) {
        const Batch b_kj(kRowsB ? b[j * ldb] : b[j]);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) acc[j][r] = xsimd::fma(a_k[r], b_kj, acc[j][r]);
      }
      a += MR;
      b += kRowsB ? 1 : NR;
    }

    // C = alpha * acc + beta * C with one explicit fma per register: the same operations for
    // every tile shape and path, so an element's value never depends on where its tile falls.
    const Batch alpha_v(alpha), beta_v(beta);
#pragma GCC unroll 64
    for (int j = 0; j < NC; ++j) {
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        T* cp = c + j * ldc + r * W;
        if (beta == T(0)) {
          (alpha_v * acc[j][r]).store_unaligned(cp);
        } else {
          xsimd::fma(alpha_v, acc[j][r], beta_v * Batch::load_unaligned(cp)).store_unaligned(cp);
        }
      }
    }
  }

  // Every instance micro_kernel<R, NC, kRowsB>, R = 1..V, NC = 1..NR, indexed by
  // [(R - 1) * NR + NC - 1].
  using Kernel = void (*)(int64_t, const T*, const T*, int64_t, T, T, T*, int64_t);
  template <bool kRowsB, int... I>
  static constexpr std::array<Kernel, V * NR> kernel_table(std::integer_sequence<int, I...>) {
    return {&micro_kernel<I / NR + 1, I % NR + 1, kRowsB>...};
  }
  template <bool kRowsB>
  static constexpr std::array<Kernel, V * NR> kernels =
      kernel_table<kRowsB>(std::make_integer_sequence<int, V * NR>{});

  // A tile on the edge of C (mr < MR or nr < NR): the smallest kernel instance that covers it,
  // writing C directly when its rows fill whole registers and are unit-stride, else through an
  // aligned buffer (C copied in and out, so the arithmetic is exactly that of the direct path).
  template <bool kRowsB = false>
  static void micro_kernel_edge(int64_t mr, int64_t nr, int64_t kc, const T* a, const T* b,
                                int64_t ldb, T alpha, T beta, T* c, int64_t c_rs, int64_t c_cs) {
    constexpr int W = Batch::size;
    const int64_t regs = (mr + W - 1) / W;
    const Kernel kernel = kernels<kRowsB>[(regs - 1) * NR + nr - 1];
    if (mr == regs * W && c_rs == 1) return kernel(kc, a, b, ldb, alpha, beta, c, c_cs);
    alignas(64) T tile[MR * NR];
    for (int64_t j = 0; j < nr; ++j)
      for (int64_t i = 0; i < regs * W; ++i)
        tile[j * MR + i] = (beta != T(0) && i < mr) ? c[i * c_rs + j * c_cs] : T(0);
    kernel(kc, a, b, ldb, alpha, beta, tile, MR);
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
        micro_kernel<V, NR>(kc, a_panel, b_panel, 0, alpha, beta, c_tile, c_cs);
      else
        micro_kernel_edge(mr, nr, kc, a_panel, b_panel, 0, alpha, beta, c_tile, c_rs, c_cs);
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
      loop2_jr(mc, nc, kc, a_block, b_panel, p.alpha, beta, p.c + ic * p.c_rs + jc * p.c_cs, p.c_rs,
               p.c_cs);
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

// ---- the pack-once GEMM of packed_gemm.hpp ------------------------------------------------------
// C[M, N] (+)= A[M, K] @ W with W packed once, as C^T = W^T A^T: W^T (N x K) is the kernel's
// packed left operand, in MR-row micro-panels over the whole depth K (pack_a with mc = N,
// kc = K), and A^T is its right operand, read in place from A's rows (no per-call packing: at a
// recurrent step M is the batch and A the hidden state, a few KB). C's rows are C^T's columns.

template <class T>
template <class Arch>
int PackedPanelRows<T>::operator()(Arch) const {
  return PackedGemm<T, Arch>::MR;
}

template <class T>
template <class Arch>
void PackWeight<T>::operator()(Arch, int64_t k, int64_t n, const T* w, int64_t w_rs, int64_t w_cs,
                               T* dst) const {
  PackedGemm<T, Arch>::pack_a(n, k, w, w_cs, w_rs, dst);  // W^T(i, k) = W(k, i)
}

// Panel by panel of W^T (MR columns of C; the panel, K x MR, stays in L1 / L2 while every row
// block of A passes by), then NR rows of A at a time: one MR x NR tile of C^T in registers.
// A tile reads its NR rows of A side by side. When A's row stride is a multiple of 4 KiB (a
// hidden state [B, 1024] in f32), those rows map to one set of the L1 data cache (64 sets of
// 64-byte lines: address bits 6-11), and more of them than the set has ways (8 on Zen 4) evict
// each other at every k. Such an A is first copied to rows one cache line longer: the copy costs
// about 1 % and the product runs 7-9 % faster at M >= 12 (Zen 4, bench/bench_gemm.cpp
// packed_step, pitch 1024 against 1040).
template <class T>
template <class Arch>
void PackedMultiply<T>::operator()(Arch, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
                                   const T* wp, bool accumulate, T* c, int64_t ldc) const {
  using G = PackedGemm<T, Arch>;
  constexpr int64_t kL1Ways = 8, kL1WayBytes = 4096;
  if (G::NR > kL1Ways && m > kL1Ways && k > 0 &&
      (lda * static_cast<int64_t>(sizeof(T))) % kL1WayBytes == 0) {
    const int64_t pitch = k + G::kLine;
    T* rows = thread_workspace<T, PaddedRows>(m * pitch);
    for (int64_t i = 0; i < m; ++i) std::copy_n(a + i * lda, k, rows + i * pitch);
    a = rows;
    lda = pitch;
  }
  const T beta = accumulate ? T(1) : T(0);
  for (int64_t i0 = 0; i0 < n; i0 += G::MR) {
    const int64_t mr = G::min(G::MR, n - i0);
    const T* panel = wp + i0 * k;
    for (int64_t j0 = 0; j0 < m; j0 += G::NR) {
      const int64_t nr = G::min(G::NR, m - j0);
      if (mr == G::MR && nr == G::NR)
        G::template micro_kernel<G::V, G::NR, true>(k, panel, a + j0 * lda, lda, T(1), beta,
                                                    c + j0 * ldc + i0, ldc);
      else
        G::template micro_kernel_edge<true>(mr, nr, k, panel, a + j0 * lda, lda, T(1), beta,
                                            c + j0 * ldc + i0, 1, ldc);
    }
  }
}

}  // namespace wengert::detail
