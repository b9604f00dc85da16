// Grad mode (per thread). While off, ops record nothing and return constants: evaluation and
// parameter updates run without building a graph. record() reads it (record.cpp).
//   { NoGradGuard no_grad; ... }   // records nothing inside the scope
#pragma once

namespace wengert {

bool grad_enabled();

// Sets grad mode for its scope and restores the previous mode when it ends.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled);
  ~GradModeGuard();
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

class NoGradGuard : public GradModeGuard {
 public:
  NoGradGuard() : GradModeGuard(false) {}
};

}  // namespace wengert
