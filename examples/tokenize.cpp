// The three tokenizers on one sentence: char (code points), word (words and punctuation) and
// byte-level BPE trained on a small piece of The Time Machine. Prints each token and its id.
//   example_tokenize [path/to/timemachine.txt]
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>
#include <wengert/text.hpp>

using namespace wengert::text;

namespace {

// Used when data/timemachine.txt cannot be found.
const char* const fallback_paragraph =
    "The Time Traveller (for so it will be convenient to speak of him) was expounding a "
    "recondite matter to us. His grey eyes shone and twinkled, and his usually pale face was "
    "flushed and animated. The fire burned brightly, and the soft radiance of the incandescent "
    "lights in the lilies of silver caught the bubbles that flashed and passed in our glasses.";

std::string training_text(int argc, char** argv) {
  std::vector<std::filesystem::path> candidates;
  if (argc > 1) candidates.emplace_back(argv[1]);
  candidates.emplace_back("data/timemachine.txt");
  candidates.emplace_back("../../data/timemachine.txt");
  for (const auto& path : candidates) {
    if (std::filesystem::exists(path)) {
      std::cout << "training on the first 40,000 chars of " << path.string() << "\n";
      return load_corpus(path).substr(0, 40000);
    }
  }
  std::cout << "data/timemachine.txt not found: training on an embedded paragraph\n";
  return fallback_paragraph;
}

// A token as text, with newlines, control bytes and pieces of UTF-8 sequences escaped (a BPE
// token may hold only part of a multi-byte character).
std::string printable(const std::string& token) {
  const bool partial = find_invalid_utf8(token).has_value();
  std::string out;
  for (const char c : token) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (b < 0x20 || b == 0x7F || (partial && b >= 0x80)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", b);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

void show(const Tokenizer& tokenizer, const std::string& sentence) {
  const std::vector<std::int64_t> ids = tokenizer.encode(sentence);
  std::cout << "\n"
            << tokenizer.kind() << " (vocab " << tokenizer.vocab_size() << "): " << ids.size()
            << " tokens\n  ";
  for (const std::int64_t id : ids) {
    std::cout << "[" << printable(tokenizer.id_to_token(id)) << "]=" << id << " ";
  }
  std::cout << "\n  decoded: \"" << tokenizer.decode(ids) << "\"\n";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string corpus = training_text(argc, argv);
    const std::string sentence =
        "The Time Traveller smiled: \"It's a machine\xE2\x80\x94"
        "for time!\"";
    std::cout << "sentence: \"" << sentence << "\"\n";
    show(CharTokenizer::train(corpus), sentence);
    show(WordTokenizer::train(corpus), sentence);
    show(BPETokenizer::train(corpus, {.num_merges = 300}), sentence);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
