// The README.md written beside every export: what was quantized how, with the recipe
// and lock file it came from, the tuning losses per block (and an SVG plot of them),
// and the perplexity measured after export. Torch-free.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace arecipe::exporters {

struct CardBlockLoss {
  int block = 0;
  double rtn_loss = 0, best_loss = 0;
  int best_iter = 0;
};

struct CardPerplexity {
  std::string dataset;  // the text file
  int64_t seqlen = 0;
  int64_t windows = 0;
  double fp = 0, quantized = 0;
};

struct ModelCard {
  std::string title;         // recipe name
  std::string description;   // recipe description
  std::string source_model;  // model dir or hub id
  std::string format;        // export format of this directory
  std::string scheme_summary;  // plan summary text (per-scheme counts, average bits)
  std::string tuning;        // e.g. "SignRound, 200 iters, 128 x 2048 calibration samples"
  std::string recipe_text;   // the recipe file as written
  std::vector<CardBlockLoss> blocks;  // empty for RTN / opt-RTN
  std::vector<CardPerplexity> perplexity;
};

std::string model_card_markdown(const ModelCard& card, bool with_loss_plot);

// Per-block loss before (RTN) and after tuning as a small standalone SVG line chart
// (log scale), readable without a server.
std::string block_loss_svg(const std::vector<CardBlockLoss>& blocks);

}  // namespace arecipe::exporters
