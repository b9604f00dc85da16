// wengert::Error: the one exception type of the library. Messages name the operation first,
// then the offending shapes / dtypes / file, then the reason, e.g.
//   "matmul: inner dimensions differ: [32, 256] @ [128, 28]"
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace wengert {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Builds a message from any streamable pieces: fail("add", ": dtype mismatch ", a, " vs ", b).
template <class... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  throw Error(out.str());
}

// Throws unless `condition` holds; the message pieces are only formatted on failure.
template <class... Parts>
void check(bool condition, Parts&&... parts) {
  if (!condition) fail(std::forward<Parts>(parts)...);
}

}  // namespace wengert
