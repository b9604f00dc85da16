// ProgressPrinter: the live bar on a terminal, one line per epoch otherwise.
#include "wengert/lm/progress.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

namespace wengert::lm {

std::string compact_number(double x) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1);
  if (x >= 1e6) {
    s << x / 1e6 << 'M';
  } else if (x >= 1e3) {
    s << x / 1e3 << 'k';
  } else {
    s << std::setprecision(0) << x;
  }
  return s.str();
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto total = static_cast<long long>(std::llround(seconds));
  std::ostringstream s;
  s << std::setfill('0');
  if (total >= 3600)
    s << total / 3600 << ':' << std::setw(2) << total / 60 % 60 << ':';
  else
    s << total / 60 << ':';
  s << std::setw(2) << total % 60;
  return s.str();
}

ProgressPrinter::ProgressPrinter(std::ostream& out, bool live, std::int64_t total_epochs)
    : out_(out), live_(live), total_epochs_(total_epochs) {}

void ProgressPrinter::clear_line() {
  if (line_pending_) out_ << "\r\033[K" << std::flush;
  line_pending_ = false;
}

void ProgressPrinter::batch(const BatchStats& s) {
  if (s.epoch != epoch_) {
    epoch_ = s.epoch;
    nll_sum_ = tokens_ = 0;
    last_draw_ = -1;
  }
  nll_sum_ += s.loss * static_cast<double>(s.tokens);
  tokens_ += static_cast<double>(s.tokens);
  const bool last = s.batch + 1 == s.num_batches;
  if (!live_ || (s.seconds - last_draw_ < 0.1 && !last && last_draw_ >= 0)) return;
  last_draw_ = s.seconds;
  const double done = static_cast<double>(s.batch + 1) / static_cast<double>(s.num_batches);
  const double per_epoch = s.seconds / done;
  const double eta =
      per_epoch * (1 - done) +
      per_epoch * static_cast<double>(std::max<std::int64_t>(0, total_epochs_ - s.epoch));
  constexpr int width = 24;
  const int filled = static_cast<int>(done * width);
  const double loss = nll_sum_ / tokens_;
  std::ostringstream line;
  line << "epoch " << s.epoch << '/' << total_epochs_ << " ["
       << std::string(static_cast<std::size_t>(filled), '=') << (filled < width ? ">" : "")
       << std::string(static_cast<std::size_t>(std::max(0, width - filled - 1)), ' ') << "] "
       << s.batch + 1 << '/' << s.num_batches << std::fixed << std::setprecision(3) << "  loss "
       << loss << "  ppl " << std::setprecision(2) << std::exp(loss) << "  "
       << compact_number(s.seconds > 0 ? tokens_ / s.seconds : 0) << " tok/s";
  if (s.comm_seconds > 0 && s.seconds > 0)
    line << "  comm " << std::setprecision(0) << 100 * s.comm_seconds / s.seconds << " %";
  line << "  ETA " << format_duration(eta);
  out_ << "\r\033[K" << line.str() << std::flush;
  line_pending_ = true;
}

void ProgressPrinter::epoch(const EpochStats& s) {
  clear_line();
  out_ << "epoch " << s.epoch << '/' << total_epochs_ << std::fixed << std::setprecision(2)
       << "  train ppl " << s.train_ppl;
  if (std::isfinite(s.val_ppl)) out_ << "  val ppl " << s.val_ppl;
  out_ << "  " << std::setprecision(1) << s.seconds << " s  " << compact_number(s.tokens_per_s)
       << " tok/s";
  if (s.comm_seconds > 0 && s.seconds > 0)
    out_ << "  comm " << 100 * s.comm_seconds / s.seconds << " %";  // waiting for other processes
  out_ << std::endl;
}

}  // namespace wengert::lm
