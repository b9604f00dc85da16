// Corpus loading: read a UTF-8 text file (invalid bytes are an error or U+FFFD, by option) and
// apply an optional normalizer: lowercase; letters only (every run of non-letters, newlines
// included, becomes one space); or d2l's exact cleaning of The Time Machine, which cleans each
// line and joins the lines with no separator:
//   ''.join(re.sub('[^A-Za-z]+', ' ', line).strip().lower() for line in lines)
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace wengert::text {

enum class InvalidUtf8 {
  error,    // throw wengert::Error naming the file and the byte offset
  replace,  // replace each invalid sequence by U+FFFD
};

enum class Normalizer {
  none,
  lowercase,     // simple case mapping for ASCII, Latin-1, Greek and Cyrillic capitals
  letters_only,  // every run of non [A-Za-z] characters becomes one space, then lowercase
  d2l,           // letters_only per line, stripped, lines joined with no separator (d2l 9.2)
};

struct CorpusOptions {
  InvalidUtf8 invalid_utf8 = InvalidUtf8::error;
  Normalizer normalizer = Normalizer::none;
};

// The whole file as UTF-8, normalized. Throws wengert::Error ("load_corpus: <path>: ...") when
// the file cannot be read or (with InvalidUtf8::error) holds invalid UTF-8.
std::string load_corpus(const std::filesystem::path& path, const CorpusOptions& options = {});

// The raw bytes of a file; throws naming `op` and the path on failure.
std::string read_file_bytes(const std::filesystem::path& path, std::string_view op);

std::string normalize(std::string_view text, Normalizer normalizer);
std::string to_lowercase(std::string_view text);  // expects valid UTF-8 (invalid bytes kept)
std::string letters_only(std::string_view text);
// Lines end at "\n", "\r\n" or "\r" (Python's universal newlines); The Time Machine gives
// 170,580 characters over 27 symbols.
std::string d2l_clean(std::string_view text);

}  // namespace wengert::text
