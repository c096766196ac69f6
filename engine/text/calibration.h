// Calibration samples for AutoRound, drawn exactly as upstream auto-round draws them from
// local data (auto_round/calib_dataset.py: get_local_dataset + _get_dataset_impl):
//   1. documents are read (calibration_sources.h) and right-stripped (Python str.rstrip);
//   2. shuffled with Python's random.Random(seed).shuffle;
//   3. tokenized with the model's tokenizer, special tokens added, truncated to seqlen
//      (chat records / apply_chat_template: rendered with the chat template first);
//   4. optionally concatenated into seqlen chunks (concat=true, upstream's algorithm);
//   5. filtered: shorter than seqlen, or last token repeated more than seqlen/2 times;
//   6. cut to the source's share (num=N); several sources are combined upstream's way
//      (sorted by size, shares allotted, concatenated, shuffled with NumPy PCG64);
//   7. cut to nsamples.
// Torch-free: the result is plain id vectors plus a report of what was kept and why.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/text/calibration_sources.h"
#include "engine/text/tokenizer.h"

namespace arecipe::text {

struct CalibrationSource {
  std::string path;  // a .txt / .json / .jsonl (each also .gz) / .parquet file or a directory of them
  // When set, these files are read in this order instead, and `path` only names the
  // source in reports and errors (a hub dataset split spread over several folders).
  std::vector<std::string> files;
  SourceFormat format;
  std::optional<size_t> num;  // this source's number of samples (upstream "num=N")
  bool concat = false;
  bool apply_chat_template = false;
  // Upstream's default system prompt; used only when the chat template is applied.
  std::string system_prompt = "You are a helpful assistant.";
};

struct CalibrationOptions {
  std::vector<CalibrationSource> sources;
  size_t nsamples = 128;
  size_t seqlen = 2048;
  uint64_t seed = 42;
};

struct SourceReport {
  std::string path;
  size_t documents = 0;          // read from the source
  size_t examined = 0;           // tokenized (sampling stops once enough are kept)
  size_t empty = 0;              // tokenized to nothing (skipped, concat only)
  size_t chunks = 0;             // concat mode: chunks built
  size_t dropped_short = 0;      // fewer than seqlen tokens
  size_t dropped_repetitive = 0; // last token repeated more than seqlen/2 times
  size_t kept = 0;               // passed the filters (within what was examined)
  size_t selected = 0;           // went into the final set
};

struct CalibrationReport {
  size_t requested = 0;
  size_t produced = 0;
  std::vector<SourceReport> sources;
  std::vector<std::string> warnings;
  std::string summary() const;  // human-readable, one line per source
};

struct CalibrationSet {
  std::vector<std::vector<int64_t>> samples;  // each exactly seqlen ids
  CalibrationReport report;
};

// Throws Error when a source cannot be read or no sample survives; fewer samples than
// requested is a warning in the report (also logged).
CalibrationSet build_calibration_set(const Tokenizer& tokenizer, const CalibrationOptions& options);

// Parses upstream's dataset string: comma-separated sources, each
// "path[:num=N][:concat=true][:apply_chat_template][:system_prompt=...]" plus our own
// ":txt_split=paragraphs|lines|file" and ":text_field=NAME".
std::vector<CalibrationSource> parse_calibration_spec(const std::string& spec);

// Upstream's per-sample tokenization: special tokens added, the text truncated so that the
// whole sequence fits in max_length (HF truncation with room for the specials).
std::vector<int64_t> encode_truncated(const Tokenizer& tokenizer, const std::string& text, size_t max_length);

}  // namespace arecipe::text
