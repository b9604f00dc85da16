// Progress output while training. On a terminal: one live line redrawn with '\r' (epoch, a bar,
// batch, running loss and perplexity, tokens/s, the share of time spent waiting for the other
// processes of a data-parallel run, ETA), at most ten times a second. Otherwise (a pipe, a log
// file): nothing per batch, one plain line per epoch.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "trainer.hpp"

namespace wengert::lm {

class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& out, bool live, std::int64_t total_epochs);
  void batch(const BatchStats& stats);
  void epoch(const EpochStats& stats);
  void clear_line();  // erase a pending live line (before other output)

 private:
  std::ostream& out_;
  bool live_;
  std::int64_t total_epochs_;
  std::int64_t epoch_ = -1;
  double nll_sum_ = 0, tokens_ = 0, last_draw_ = -1;
  bool line_pending_ = false;
};

// "1.2k", "35.0k", "2.31M": a compact count for rates.
std::string compact_number(double x);
// "0:07", "1:02:03": a duration in whole seconds.
std::string format_duration(double seconds);

}  // namespace wengert::lm
