// wengert::text: corpora, tokenizers (char, word, byte-level BPE) and language-model
// minibatches. Depends on wengert::tensor only.
#pragma once

#include "text/batches.hpp"
#include "text/bpe_tokenizer.hpp"
#include "text/char_tokenizer.hpp"
#include "text/corpus.hpp"
#include "text/gpt2_tokenizer.hpp"
#include "text/tokenizer.hpp"
#include "text/utf8.hpp"
#include "text/vocab.hpp"
#include "text/word_tokenizer.hpp"
