// The CSV log of a run: one row per epoch. comm_share: the share of the epoch's time spent
// waiting for the other processes of a data-parallel run (0 in one process).
#include <cmath>
#include <iomanip>
#include <sstream>
#include <wengert/tensor/atomic_file.hpp>

#include "wengert/lm/report.hpp"

namespace wengert::lm {

std::string csv_log(const std::vector<EpochStats>& history) {
  std::ostringstream out;
  out << "epoch,train_ppl,val_ppl,seconds,tokens_per_s,lr,comm_share\n" << std::setprecision(8);
  // NaN and Inf are written as nan, inf, -inf, whatever the locale (no validation set: nan).
  const auto number = [&](double x) -> std::ostream& {
    if (std::isnan(x)) return out << "nan";
    if (std::isinf(x)) return out << (x > 0 ? "inf" : "-inf");
    return out << x;
  };
  for (const EpochStats& s : history) {
    out << s.epoch << ',';
    number(s.train_ppl) << ',';
    number(s.val_ppl) << ',';
    number(s.seconds) << ',';
    number(s.tokens_per_s) << ',';
    number(s.lr) << ',';
    number(s.seconds > 0 ? s.comm_seconds / s.seconds : 0) << '\n';
  }
  return out.str();
}

void write_csv_log(const std::filesystem::path& path, const std::vector<EpochStats>& history) {
  write_file_atomic(path, csv_log(history), "write_csv_log");
}

}  // namespace wengert::lm
