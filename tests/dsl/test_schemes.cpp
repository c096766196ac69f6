// Presets and bit accounting against upstream's published figures (spec 5, 7.3).
#include <gtest/gtest.h>

#include "schemes/bits.h"
#include "schemes/formats.h"
#include "schemes/presets.h"

using namespace arecipe::schemes;

namespace {
double bpw(const std::string& preset) { return nominal_bits_per_weight(*find_preset(preset)); }
}  // namespace

TEST(Presets, ValuesMatchUpstream) {
  Scheme w = *find_preset("W2A16G64");
  EXPECT_EQ(w.bits, 2);
  EXPECT_EQ(w.group_size, 64);
  EXPECT_TRUE(w.sym);
  EXPECT_EQ(w.data_type, "int");
  Scheme nv = *find_preset("nvfp4");  // case-insensitive
  EXPECT_EQ(nv.group_size, 16);
  EXPECT_EQ(nv.act_bits, 4);
  EXPECT_EQ(nv.act_data_type, "nv_fp4_with_static_gs");
  Scheme fp8 = *find_preset("FP8_BLOCK");
  EXPECT_EQ(fp8.group_rows, 128);
  EXPECT_EQ(fp8.group_size, 128);
  EXPECT_EQ(find_preset("FPW8A16")->group_size, 0);
  Scheme q4km = *find_preset("Q4_K_M");
  EXPECT_EQ(q4km.gguf_type, "q4_k");
  EXPECT_FALSE(q4km.sym);
  EXPECT_EQ(q4km.super_bits, 6);
  EXPECT_EQ(*canonical_preset_name("gguf:q4_k_m"), "GGUF:Q4_K_M");
  EXPECT_FALSE(find_preset("W4A61").has_value());
}

TEST(Bits, PublishedBitsPerWeight) {
  EXPECT_NEAR(bpw("W4A16"), 4.156, 5e-4);
  EXPECT_NEAR(bpw("W2A16"), 2.141, 5e-4);
  EXPECT_NEAR(bpw("W2A16G64"), 2.281, 5e-4);
  EXPECT_NEAR(bpw("W3A16"), 3.148, 5e-4);
  EXPECT_NEAR(bpw("W8A16"), 8.1875, 1e-9);
  EXPECT_NEAR(bpw("MXFP4"), 4.25, 1e-9);
  EXPECT_NEAR(bpw("MXFP8"), 8.25, 1e-9);
  EXPECT_NEAR(bpw("NVFP4"), 4.5, 1e-9);
  EXPECT_NEAR(bpw("GGUF:Q4_K_S"), 4.625, 1e-9);
  EXPECT_NEAR(bpw("GGUF:Q2_K_S"), 2.75, 1e-9);
  EXPECT_NEAR(bpw("GGUF:Q3_K_M"), 4.0, 1e-9);
  EXPECT_NEAR(bpw("GGUF:Q6_K"), 7.25, 1e-9);
  EXPECT_EQ(bpw("BF16"), 16.0);
}

TEST(Bits, WithoutScaleBitsIsJustBits) {
  LayerBits b = layer_bits(*find_preset("W4A16"), 4096, 4096);
  EXPECT_EQ(b.weight_bits_per_weight(), 4.0);
  // A padded last group still costs a whole group of scale/zp bits: ceil(100/64) = 2.
  LayerBits p = layer_bits(*find_preset("W2A16G64"), 1, 100);
  EXPECT_EQ(p.total_bits, 2 * 100 + 2 * (16 + 2));
}

TEST(Formats, WhatEachFormatHolds) {
  auto ar = *parse_export_format("auto_round");
  Scheme w5 = *find_preset("W5A16");
  EXPECT_EQ(*cannot_hold(ar, w5), "auto_round packs 2, 3, 4 or 8-bit integers (GPTQ layout), not bits 5");
  EXPECT_FALSE(cannot_hold(ar, *find_preset("MXFP4")).has_value());
  auto awq = *parse_export_format("auto_awq");
  EXPECT_TRUE(cannot_hold(awq, *find_preset("W2A16")).has_value());
  auto gguf = *parse_export_format("gguf:q4_k_m");
  EXPECT_TRUE(cannot_hold(gguf, *find_preset("W4A16")).has_value());
  EXPECT_FALSE(cannot_hold(gguf, *find_preset("GGUF:Q6_K")).has_value());
  // int auto_round pads the last group; mx_fp cannot.
  EXPECT_FALSE(shape_problem(ar, *find_preset("W4A16"), 64, 96).has_value());
  EXPECT_TRUE(shape_problem(ar, *find_preset("MXFP4"), 64, 48).has_value());
  EXPECT_FALSE(shape_problem(ar, *find_preset("FP8_BLOCK"), 172, 64).has_value());  // upstream pads blocks
  EXPECT_TRUE(shape_problem(awq, *find_preset("W4A16"), 64, 96).has_value());
  EXPECT_TRUE(shape_problem(gguf, *find_preset("GGUF:Q4_K"), 64, 96).has_value());
}
