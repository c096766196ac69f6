#include <algorithm>
#include <gtest/gtest.h>

#include "exporters/model_card.h"

namespace arecipe::exporters {
namespace {

TEST(ModelCard, HoldsLossesPerplexityAndRecipe) {
  ModelCard c;
  c.title = "t";
  c.format = "auto_round";
  c.recipe_text = "arecipe: 1\nname: t";
  c.blocks = {{0, 2e-3, 1e-3, 150}, {1, 4e-3, 3e-3, 190}};
  c.perplexity = {{"held.txt", 256, 40, 29.5, 31.25}};
  const std::string md = model_card_markdown(c, true);
  EXPECT_NE(md.find("| 0 | 2.0000e-03 | 1.0000e-03 | 150 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| held.txt | 256 | 40 | 29.5000 | 31.2500 |"), std::string::npos) << md;
  EXPECT_NE(md.find("block_loss.svg"), std::string::npos);
  EXPECT_NE(md.find("```yaml\narecipe: 1\nname: t\n```"), std::string::npos) << md;
}

TEST(ModelCard, SvgPlotsBothSeries) {
  const std::string svg = block_loss_svg({{0, 2e-3, 1e-3, 150}, {1, 4e-3, 3e-3, 190}});
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(std::count(svg.begin(), svg.end(), '\n') > 5, true);
  size_t polylines = 0;
  for (size_t p = svg.find("<polyline"); p != std::string::npos; p = svg.find("<polyline", p + 1)) ++polylines;
  EXPECT_EQ(polylines, 2u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace arecipe::exporters
