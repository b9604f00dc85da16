// The CSV log of a run: one row per epoch; a missing validation perplexity is an empty field.
#include <cmath>
#include <iomanip>
#include <sstream>
#include <wengert/tensor/atomic_file.hpp>

#include "wengert/lm/report.hpp"

namespace wengert::lm {

std::string csv_log(const std::vector<EpochStats>& history) {
  std::ostringstream out;
  out << "epoch,train_ppl,val_ppl,seconds,tokens_per_s,lr\n" << std::setprecision(8);
  for (const EpochStats& s : history) {
    out << s.epoch << ',' << s.train_ppl << ',';
    if (std::isfinite(s.val_ppl)) out << s.val_ppl;
    out << ',' << s.seconds << ',' << s.tokens_per_s << ',' << s.lr << '\n';
  }
  return out.str();
}

void write_csv_log(const std::filesystem::path& path, const std::vector<EpochStats>& history) {
  write_file_atomic(path, csv_log(history), "write_csv_log");
}

}  // namespace wengert::lm
