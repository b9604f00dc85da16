// wengert::lm: the language-model trainer above nn and text. A LanguageModel (inputs -> RNN /
// GRU / LSTM -> softmax decoder), the Trainer with its checkpoints, evaluation, generation,
// progress and reports, and the wengert-lm commands as functions.
#pragma once

#include "lm/commands.hpp"
#include "lm/config.hpp"
#include "lm/generate.hpp"
#include "lm/model.hpp"
#include "lm/progress.hpp"
#include "lm/replicas.hpp"
#include "lm/report.hpp"
#include "lm/run.hpp"
#include "lm/trainer.hpp"
#include "lm/truncation.hpp"
