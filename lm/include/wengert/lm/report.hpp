// The per-epoch record of a run: a CSV log (epoch, train_ppl, val_ppl, seconds, tokens_per_s, lr)
// and an SVG plot of train and validation perplexity against epochs (log-scale y axis), both
// rewritten whole after every epoch (atomically), so they always match the checkpoint.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "trainer.hpp"

namespace wengert::lm {

std::string csv_log(const std::vector<EpochStats>& history);
std::string perplexity_svg(const std::vector<EpochStats>& history, const std::string& title);

void write_csv_log(const std::filesystem::path& path, const std::vector<EpochStats>& history);
void write_perplexity_svg(const std::filesystem::path& path, const std::vector<EpochStats>& history,
                          const std::string& title);

}  // namespace wengert::lm
