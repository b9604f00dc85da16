// wengert::text: corpora, tokenizers (char, word, byte-level BPE) and language-model
// minibatches. Depends on wengert::tensor only.
#pragma once

#include "batches.hpp"
#include "bpe_tokenizer.hpp"
#include "char_tokenizer.hpp"
#include "corpus.hpp"
#include "gpt2_tokenizer.hpp"
#include "tokenizer.hpp"
#include "utf8.hpp"
#include "vocab.hpp"
#include "word_tokenizer.hpp"
