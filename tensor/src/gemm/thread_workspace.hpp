// Each thread's scratch buffers: grown on demand, 64-byte aligned, kept for the thread's lifetime
// (OpenMP reuses its pool threads, so steady-state calls allocate nothing). One buffer per
// Purpose: a user may hold its buffer while it calls another user, and each keeps the size it
// needs instead of growing one buffer to the largest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

namespace wengert::detail {

class ThreadWorkspace {
 public:
  ThreadWorkspace() = default;
  ThreadWorkspace(const ThreadWorkspace&) = delete;
  ThreadWorkspace& operator=(const ThreadWorkspace&) = delete;
  ~ThreadWorkspace() { release(); }

  template <class T>
  T* get(int64_t elements) {
    const std::size_t bytes = static_cast<std::size_t>(elements) * sizeof(T);
    if (bytes > bytes_) {
      release();
      data_ = ::operator new (bytes, std::align_val_t{64});
      bytes_ = bytes;
    }
    return static_cast<T*>(data_);
  }

 private:
  void release() {
    if (data_) ::operator delete (data_, std::align_val_t{64});
    data_ = nullptr;
    bytes_ = 0;
  }
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

struct PackingBuffers;  // the GEMM driver's packed A block and B panel (gemm.cpp)
struct PaddedRows;      // packed_matmul_into's copy of a cache-aliasing A (gemm_kernel.hpp)

template <class T, class Purpose>
T* thread_workspace(int64_t elements) {
  thread_local ThreadWorkspace workspace;
  return workspace.get<T>(elements);
}

}  // namespace wengert::detail
