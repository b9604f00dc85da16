// The instruction sets wengert compiles kernels for, best first. xsimd::dispatch picks the first
// one the CPU supports at run time, so one binary runs on any x86-64 and still uses AVX-512.
// Each architecture's kernels live in their own *_avx512.cpp / *_avx2.cpp / *_sse2.cpp file,
// compiled with that instruction set's flags (see cmake/wengert_helpers.cmake).
#pragma once

#include <xsimd/xsimd.hpp>

namespace wengert::kernels {

using SimdArchs = xsimd::arch_list<xsimd::avx512bw, xsimd::fma3<xsimd::avx2>, xsimd::sse2>;

}  // namespace wengert::kernels
