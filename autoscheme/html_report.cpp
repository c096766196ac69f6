#include "autoscheme/html_report.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "autoscheme/resolve.h"
#include "schemes/bits.h"

namespace arecipe::autoscheme {

namespace {

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v, const char* fmt = "%.4f") {
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// Colour-blind-safe palette (Okabe-Ito) for the options; pinned layers grey, kept light.
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"};
constexpr const char* kPinned = "#7f7f7f";
constexpr const char* kKept = "#d9d9d9";

struct Bar {
  std::string name, label, colour;
  double bits;  // bits per weight in the target's accounting
  int block;
};

std::string legend_and_chart(const std::vector<Bar>& bars, double target, const std::vector<std::string>& options) {
  const double plot_h = 260, left = 48, top = 16, bottom = 40;
  const double bw = std::clamp(1400.0 / std::max<size_t>(bars.size(), 1), 1.0, 14.0);
  const double width = left + bw * static_cast<double>(bars.size()) + 16;
  double ymax = target;
  for (const auto& b : bars) ymax = std::max(ymax, b.bits);
  ymax = std::max(1.0, static_cast<double>(static_cast<int>(ymax) + 1));
  const auto y = [&](double v) { return top + plot_h * (1 - v / ymax); };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width, "%.0f") + "\" height=\"" +
                    num(top + plot_h + bottom, "%.0f") + "\" role=\"img\" aria-label=\"bits per weight per layer\">\n";
  const int step = ymax > 10 ? 2 : 1;
  for (int v = 0; v <= static_cast<int>(ymax); v += step)
    svg += "<line x1=\"" + num(left, "%.0f") + "\" x2=\"" + num(width - 8, "%.0f") + "\" y1=\"" + num(y(v), "%.1f") +
           "\" y2=\"" + num(y(v), "%.1f") + "\" stroke=\"#eee\"/><text x=\"" + num(left - 6, "%.0f") + "\" y=\"" +
           num(y(v) + 4, "%.1f") + "\" text-anchor=\"end\" font-size=\"11\">" + std::to_string(v) + "</text>\n";
  int last_block = -2;
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double x = left + bw * static_cast<double>(i);
    if (b.block != last_block) {
      svg += "<line x1=\"" + num(x, "%.1f") + "\" x2=\"" + num(x, "%.1f") + "\" y1=\"" + num(top, "%.0f") +
             "\" y2=\"" + num(top + plot_h + 4, "%.0f") + "\" stroke=\"#bbb\" stroke-dasharray=\"2,3\"/>";
      if (b.block >= 0)
        svg += "<text x=\"" + num(x + 2, "%.1f") + "\" y=\"" + num(top + plot_h + 16, "%.0f") +
               "\" font-size=\"10\">" + std::to_string(b.block) + "</text>";
      svg += "\n";
      last_block = b.block;
    }
    svg += "<rect x=\"" + num(x, "%.2f") + "\" y=\"" + num(y(b.bits), "%.2f") + "\" width=\"" +
           num(std::max(bw - (bw > 3 ? 1 : 0), 0.5), "%.2f") + "\" height=\"" + num(plot_h - (y(b.bits) - top), "%.2f") +
           "\" fill=\"" + b.colour + "\"><title>" + esc(b.name) + ": " + esc(b.label) + ", " + num(b.bits) +
           " bits/w</title></rect>\n";
  }
  svg += "<line x1=\"" + num(left, "%.0f") + "\" x2=\"" + num(width - 8, "%.0f") + "\" y1=\"" + num(y(target), "%.1f") +
         "\" y2=\"" + num(y(target), "%.1f") + "\" stroke=\"#c00\" stroke-width=\"1.5\" stroke-dasharray=\"6,3\"/>" +
         "<text x=\"" + num(width - 10, "%.0f") + "\" y=\"" + num(y(target) - 4, "%.1f") +
         "\" text-anchor=\"end\" font-size=\"11\" fill=\"#c00\">target " + num(target, "%.3f") + "</text>\n";
  svg += "<text x=\"" + num(left, "%.0f") + "\" y=\"" + num(top + plot_h + 32, "%.0f") +
         "\" font-size=\"11\">layers in plan order; numbers mark decoder blocks; y: bits per weight</text>\n</svg>\n";
  std::string legend = "<p class=\"legend\">";
  for (size_t k = 0; k < options.size(); ++k)
    legend += "<span><i style=\"background:" + std::string(kPalette[k % 7]) + "\"></i>" + esc(options[k]) + "</span>";
  legend += "<span><i style=\"background:" + std::string(kPinned) + "\"></i>pinned by a rule</span>";
  legend += "<span><i style=\"background:" + std::string(kKept) + "\"></i>kept (16 bits, not in the average)</span></p>\n";
  return legend + "<div class=\"chart\">" + svg + "</div>\n";
}

}  // namespace

std::string plan_html(const dsl::Recipe& r, const Plan& plan) {
  const bool scale = !r.target || r.target->count_scale_bits.value;
  const double target = r.target ? r.target->avg_bits.value : plan.summary.avg_bits_quantized;
  const Allocation* a = plan.allocation ? &*plan.allocation : nullptr;
  std::vector<std::string> options;
  if (r.target)
    for (const auto& o : r.target->options) options.push_back(o.value);
  std::vector<Bar> bars;
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const auto& l = plan.layers[i];
    const auto b = schemes::layer_bits(l.effective(), l.layer.out_features, l.layer.in_features);
    Bar bar{l.layer.name, l.keep ? "kept" : l.scheme.label(), kPinned,
            scale ? b.bits_per_weight() : b.weight_bits_per_weight(), l.layer.block};
    if (l.keep) bar.colour = kKept;
    else if (a && a->choice[i] >= 0) bar.colour = kPalette[a->choice[i] % 7], bar.label = a->options[a->choice[i]];
    else if (!l.pinned) bar.colour = kPalette[0];
    bars.push_back(bar);
  }
  const Summary& s = plan.summary;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>arecipe plan: " +
                  esc(r.name.value) + "</title>\n<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}"
                  "table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;border-bottom:1px solid #eee;"
                  "text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}.chart{overflow-x:auto}"
                  ".legend span{margin-right:16px}.legend i{display:inline-block;width:12px;height:12px;"
                  "margin-right:4px;vertical-align:middle}b.c{color:#0072B2}</style></head><body>\n";
  h += "<h1>" + esc(r.name.value) + " on " + esc(plan.inventory.architecture) + "</h1>\n<p>" +
       std::to_string(plan.layers.size()) + " linear layers, " + std::to_string(s.quantized) + " quantized, " +
       std::to_string(s.kept) + " kept. Average bits per weight over quantized linears: <b>" +
       num(s.avg_bits_quantized) + "</b> with scale/zero-point bits, <b>" + num(s.avg_weight_bits_quantized) +
       "</b> weights only.</p>\n";
  if (r.target) {
    h += "<p>Target: " + num(target, "%.3f") + " bits per weight (" +
         (scale ? "scale/zero-point bits counted" : "weights only") + "), reachable " + num(plan.target_min_bits) +
         " to " + num(plan.target_max_bits) + ".";
    if (a)
      h += " Allocator: " + std::to_string(a->units) + " decision units, scores <code>" + esc(a->table.method) +
           "</code>, summed score " + num(a->loss, "%.6g") + ", used " + std::to_string(a->used_bits + a->fixed_bits) +
           " of " + std::to_string(a->budget_bits + a->fixed_bits) + " bits" + (a->exact ? " (exact DP)" : "") + ".";
    else
      h += " No sensitivity scores were given: free layers show the default scheme.";
    h += "</p>\n";
    if (a)
      for (const auto& note : a->notes) h += "<p>" + esc(note) + "</p>\n";
  }
  h += "<h2>Bits per layer</h2>\n" + legend_and_chart(bars, target, options);
  h += "<h2>Layers</h2>\n<table><tr><th>layer</th><th>role</th><th>shape</th><th>scheme</th><th>bits/w</th>";
  for (const auto& o : options) h += "<th>score " + esc(o) + "</th>";
  h += "<th>decided by</th></tr>\n";
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const auto& l = plan.layers[i];
    h += "<tr><td>" + esc(l.layer.name) + "</td><td>" + role_name(l.layer.role) + "</td><td>" +
         std::to_string(l.layer.out_features) + "x" + std::to_string(l.layer.in_features) + "</td><td>" +
         esc(bars[i].label) + "</td><td class=\"n\">" + num(bars[i].bits, "%.3f") + "</td>";
    const auto row = a ? a->scores_of(l.layer.name) : std::vector<double>{};
    for (size_t k = 0; k < options.size(); ++k) {
      if (a && a->choice[i] >= 0 && k < row.size()) {
        const std::string v = num(row[k], "%.4g");
        h += "<td class=\"n\">" + (static_cast<int>(k) == a->choice[i] ? "<b class=\"c\">" + v + "</b>" : v) + "</td>";
      } else {
        h += "<td></td>";
      }
    }
    h += "<td>" + esc(field_origin(r, l, l.keep ? Field::keep : Field::bits)) + "</td></tr>\n";
  }
  h += "</table>\n</body></html>\n";
  return h;
}

}  // namespace arecipe::autoscheme
