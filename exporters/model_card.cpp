#include "exporters/model_card.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace arecipe::exporters {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

std::string block_loss_svg(const std::vector<CardBlockLoss>& blocks) {
  const double w = 640, h = 320, left = 70, right = 20, top = 30, bottom = 40;
  double lo = 1e300, hi = -1e300;
  for (const auto& b : blocks)
    for (double v : {b.rtn_loss, b.best_loss})
      if (v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!(lo < hi)) lo = hi > 0 ? hi / 10 : 1e-6, hi = hi > 0 ? hi * 10 : 1;
  const double llo = std::floor(std::log10(lo)), lhi = std::ceil(std::log10(hi));
  const double span = std::max(1.0, lhi - llo);
  const size_t n = blocks.size();
  auto x = [&](size_t i) { return left + (n > 1 ? (w - left - right) * i / (n - 1.0) : (w - left - right) / 2); };
  auto y = [&](double v) {
    const double l = v > 0 ? std::log10(v) : llo;
    return top + (h - top - bottom) * (1 - (l - llo) / span);
  };
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << left << "\" y=\"18\">block-output loss per block (log scale)</text>\n";
  for (double e = llo; e <= lhi; e += 1) {
    s << "<line x1=\"" << left << "\" x2=\"" << w - right << "\" y1=\"" << y(std::pow(10, e)) << "\" y2=\""
      << y(std::pow(10, e)) << "\" stroke=\"#ddd\"/>\n"
      << "<text x=\"" << left - 6 << "\" y=\"" << y(std::pow(10, e)) + 4 << "\" text-anchor=\"end\">1e"
      << static_cast<int>(e) << "</text>\n";
  }
  for (size_t i = 0; i < n; ++i)
    s << "<text x=\"" << x(i) << "\" y=\"" << h - bottom + 16 << "\" text-anchor=\"middle\">" << blocks[i].block
      << "</text>\n";
  s << "<text x=\"" << (left + w - right) / 2 << "\" y=\"" << h - 6 << "\" text-anchor=\"middle\">block</text>\n";
  auto series = [&](double CardBlockLoss::*field, const char* colour, const char* label, int row) {
    s << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\"";
    for (size_t i = 0; i < n; ++i) s << x(i) << "," << y(blocks[i].*field) << " ";
    s << "\"/>\n";
    for (size_t i = 0; i < n; ++i)
      s << "<circle cx=\"" << x(i) << "\" cy=\"" << y(blocks[i].*field) << "\" r=\"3\" fill=\"" << colour << "\"/>\n";
    s << "<text x=\"" << w - right - 150 << "\" y=\"" << top + 14 * row << "\" fill=\"" << colour << "\">" << label
      << "</text>\n";
  };
  series(&CardBlockLoss::rtn_loss, "#d62728", "RTN (iteration 0)", 1);
  series(&CardBlockLoss::best_loss, "#1f77b4", "SignRound (best)", 2);
  s << "</svg>\n";
  return s.str();
}

std::string model_card_markdown(const ModelCard& c, bool with_loss_plot) {
  std::ostringstream s;
  s << "---\nlibrary_name: transformers\ntags: [arecipe, auto-round, quantized]\n---\n\n";
  s << "# " << c.title << "\n\n";
  if (!c.description.empty()) s << c.description << "\n\n";
  s << "Quantized from `" << c.source_model << "` by arecipe; this directory is the `" << c.format
    << "` export.\n\n";
  s << "## Scheme\n\n```\n" << c.scheme_summary << "```\n\n";
  s << "## Tuning\n\n" << c.tuning << "\n\n";
  if (!c.blocks.empty()) {
    s << "| block | RTN loss | tuned loss | best iteration |\n|---|---|---|---|\n";
    for (const auto& b : c.blocks)
      s << "| " << b.block << " | " << fmt("%.4e", b.rtn_loss) << " | " << fmt("%.4e", b.best_loss) << " | "
        << b.best_iter << " |\n";
    s << "\n";
    if (with_loss_plot) s << "![per-block loss](block_loss.svg)\n\n";
  }
  if (!c.perplexity.empty()) {
    s << "## Perplexity (measured after export)\n\n| text | seqlen | windows | FP | quantized |\n|---|---|---|---|---|\n";
    for (const auto& p : c.perplexity)
      s << "| " << p.dataset << " | " << p.seqlen << " | " << p.windows << " | " << fmt("%.4f", p.fp) << " | "
        << fmt("%.4f", p.quantized) << " |\n";
    s << "\n";
  }
  s << "## Recipe\n\nThe per-layer plan is in `arecipe.lock.json`. Recipe:\n\n```yaml\n" << c.recipe_text;
  if (!c.recipe_text.empty() && c.recipe_text.back() != '\n') s << "\n";
  s << "```\n";
  return s.str();
}

}  // namespace arecipe::exporters
