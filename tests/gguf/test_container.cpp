// GGUF container: writer -> reader round trip, llama.cpp's layout rules (dense 32-byte
// aligned offsets), and every class of bad input the reader must reject with a clear
// error (truncation at every header position, over-limit strings and counts, bad
// types, names, offsets, overlaps).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine/io/gguf_reader.h"
#include "tests/gguf/scratch_dir.h"
#include "engine/util/error.h"
#include "exporters/gguf/gguf_writer.h"
#include "schemes/ggml/codec.h"

namespace fs = std::filesystem;
using namespace arecipe;
using namespace arecipe::gguf;

namespace {

fs::path tmp(const std::string& name) { return testing_support::scratch_path("gguf-test", name); }

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
void write_bytes(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

// A small file: every scalar type, three arrays, a Q8_0 tensor of 2 rows and an F32 vector.
fs::path sample_file() {
  const fs::path p = tmp("sample.gguf");
  Writer w(p.string());
  w.add_kv("general.architecture", Value::str("llama"));
  w.add_kv("u8", [] { Value v; v.type = ValueType::U8; v.u = 200; return v; }());
  w.add_kv("i16", [] { Value v; v.type = ValueType::I16; v.i = -3; return v; }());
  w.add_kv("u32", Value::u32(123456));
  w.add_kv("i32", Value::i32(-7));
  w.add_kv("f32", Value::f32(1.5f));
  w.add_kv("flag", Value::boolean(true));
  w.add_kv("u64", [] { Value v; v.type = ValueType::U64; v.u = 1ull << 40; return v; }());
  w.add_kv("f64", [] { Value v; v.type = ValueType::F64; v.f = 0.25; return v; }());
  w.add_kv("strs", Value::str_array({"a", "", "Ġthe"}));
  w.add_kv("ints", Value::int_array(ValueType::I32, {1, -2, 3}));
  w.add_kv("floats", Value::f32_array({0.5, -1.0}));
  w.add_tensor("w", {64, 2}, ggml::Type::Q8_0);
  w.add_tensor("norm", {5}, ggml::Type::F32);
  w.write_header();
  std::vector<float> x(128);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.01f * static_cast<float>(i) - 0.5f;
  std::vector<uint8_t> q(ggml::row_bytes(ggml::Type::Q8_0, 64) * 2);
  for (int r = 0; r < 2; ++r) ggml::quantize_row(ggml::Type::Q8_0, x.data() + 64 * r, 64, nullptr, q.data() + r * 68);
  w.write_tensor_data("w", q.data(), q.size());
  const float n[5] = {1, 2, 3, 4, 5};
  w.write_tensor_data("norm", reinterpret_cast<const uint8_t*>(n), sizeof n);
  w.finish();
  return p;
}

const auto* const kCleanUp = ::testing::AddGlobalTestEnvironment(new testing_support::ScratchCleanUp("gguf-test"));

TEST(GgufContainer, RoundTrip) {
  const fs::path p = sample_file();
  Reader r(p.string());
  EXPECT_EQ(r.version(), 3u);
  EXPECT_EQ(r.get_string("general.architecture"), "llama");
  EXPECT_EQ(r.find("u8")->u, 200u);
  EXPECT_EQ(r.find("i16")->i, -3);
  EXPECT_EQ(r.get_u32("u32"), 123456u);
  EXPECT_EQ(r.find("i32")->i, -7);
  EXPECT_EQ(r.get_f32("f32"), 1.5f);
  EXPECT_EQ(r.find("flag")->u, 1u);
  EXPECT_EQ(r.find("u64")->u, 1ull << 40);
  EXPECT_EQ(r.find("f64")->f, 0.25);
  EXPECT_EQ(r.find("strs")->strs, (std::vector<std::string>{"a", "", "Ġthe"}));
  EXPECT_EQ(r.find("ints")->ints, (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(r.find("floats")->floats, (std::vector<double>{0.5, -1.0}));
  ASSERT_EQ(r.tensors().size(), 2u);
  const TensorEntry& w = r.tensors()[0];
  EXPECT_EQ(w.name, "w");
  EXPECT_EQ(w.dims, (std::vector<int64_t>{64, 2}));
  EXPECT_EQ(w.nbytes, 136u);
  EXPECT_EQ(w.offset, 0u);
  EXPECT_EQ(r.tensors()[1].offset, 160u);  // dense: 136 padded to 160
  std::vector<float> y(64);
  ggml::dequantize_row(ggml::Type::Q8_0, r.data(w) + 68, 64, y.data());
  EXPECT_NEAR(y[10], 0.01f * 74 - 0.5f, 0.01f);
  float n[5];
  std::memcpy(n, r.data(r.tensors()[1]), sizeof n);
  EXPECT_EQ(n[4], 5.f);
  // Data section starts 32-aligned, and the file ends with the last tensor's padding.
  EXPECT_EQ(fs::file_size(p) % 32, 0u);
  EXPECT_THROW(r.get_u32("f32"), Error);
  EXPECT_THROW(r.get_u32("missing"), Error);
}

void expect_error(const std::string& bytes, const std::string& needle) {
  const fs::path p = tmp("bad.gguf");
  write_bytes(p, bytes);
  try {
    Reader r(p.string());
    FAIL() << "accepted a file that should fail with '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << "error must name the file: " << e.what();
  }
}

TEST(GgufContainer, RejectsTruncationAnywhere) {
  const std::string good = read_bytes(sample_file());
  // Every cut inside the header and the data is an error, never a crash (only the last
  // tensor's trailing pad, 12 bytes here, may be missing).
  for (size_t cut = 0; cut < good.size() - 12; cut += (cut < 600 ? 1 : 7)) {
    const fs::path p = tmp("cut.gguf");
    write_bytes(p, good.substr(0, cut));
    EXPECT_THROW(Reader r(p.string()), Error) << "cut at " << cut;
  }
  expect_error(good.substr(0, good.size() - 40), "truncated");
}

// Random byte corruption of the header region: the reader either accepts (a value
// changed harmlessly) or throws Error; it never crashes or reads out of bounds (the
// sanitizer build would catch that).
TEST(GgufContainer, SurvivesRandomCorruption) {
  const std::string good = read_bytes(sample_file());
  const size_t header_end = good.size() - 192;  // data section of the sample is 192 bytes
  uint32_t state = 12345;
  auto next = [&state] { return state = state * 1664525u + 1013904223u; };
  int rejected = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    std::string b = good;
    const int flips = 1 + static_cast<int>(next() % 4);
    for (int k = 0; k < flips; ++k) b[next() % header_end] = static_cast<char>(next() >> 24);
    const fs::path p = tmp("fuzz.gguf");
    write_bytes(p, b);
    try {
      Reader r(p.string());
      for (const TensorEntry& t : r.tensors()) ASSERT_LE(t.offset + t.nbytes, fs::file_size(p));
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 500);  // most corruptions are detected
}

// Builds a header by hand for targeted corruption.
struct Raw {
  std::string b;
  template <typename T>
  Raw& put(T v) { b.append(reinterpret_cast<const char*>(&v), sizeof v); return *this; }
  Raw& str(const std::string& s) { put<uint64_t>(s.size()); b += s; return *this; }
};

Raw header(uint64_t nt, uint64_t nkv, uint32_t version = 3) {
  Raw r;
  r.b = "GGUF";
  r.put<uint32_t>(version).put<uint64_t>(nt).put<uint64_t>(nkv);
  return r;
}

std::string tensor_file(const std::string& name, std::vector<int64_t> dims, uint32_t type, uint64_t offset, size_t data) {
  Raw r = header(1, 0);
  r.str(name).put<uint32_t>(static_cast<uint32_t>(dims.size()));
  for (int64_t d : dims) r.put<int64_t>(d);
  r.put<uint32_t>(type).put<uint64_t>(offset);
  r.b.resize((r.b.size() + 31) / 32 * 32, '\0');
  r.b.append(data, '\0');
  return r.b;
}

TEST(GgufContainer, RejectsBadHeaders) {
  expect_error("GGML" + std::string(20, '\0'), "bad magic");
  expect_error(header(0, 0, 1).b, "unsupported GGUF version 1");
  expect_error(header(0, 1ull << 40).b, "metadata count");
  expect_error(header(1ull << 40, 0).b, "tensor count");
  // A string claiming more than 2^30 bytes (metadata over the format's limit).
  expect_error(header(0, 1).put<uint64_t>((1ull << 30) + 1).b + std::string(64, 'x'), "exceeds the 2^30 limit");
  expect_error(header(0, 1).str("k").put<uint32_t>(8).put<uint64_t>((1ull << 30) + 1).b, "exceeds the 2^30 limit");
  expect_error(header(0, 1).str("").put<uint32_t>(4).put<uint32_t>(1).b, "empty metadata key");
  expect_error(header(0, 2).str("k").put<uint32_t>(4).put<uint32_t>(1).str("k").put<uint32_t>(4).put<uint32_t>(1).b,
               "duplicate metadata key 'k'");
  expect_error(header(0, 1).str("k").put<uint32_t>(13).b + std::string(8, '\0'), "unknown value type 13");
  expect_error(header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(0).b, "unsupported array element type");
  expect_error(header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(4).put<uint64_t>(1ull << 50).b, "exceeds the file");
  expect_error(header(0, 1).str("k").put<uint32_t>(7).put<uint8_t>(2).b, "BOOL value 2");
  expect_error(header(0, 1).str("general.alignment").put<uint32_t>(4).put<uint32_t>(24).b, "not a power of two");
  expect_error(header(0, 1).str("general.alignment").put<uint32_t>(5).put<int32_t>(32).b, "must be UINT32");
}

TEST(GgufContainer, RejectsBadTensorInfos) {
  expect_error(tensor_file(std::string(64, 'n'), {32}, 0, 0, 128), "must be 1..63 bytes");
  expect_error(tensor_file("t", {}, 0, 0, 0), "n_dims 0");
  expect_error(tensor_file("t", {1, 1, 1, 1, 1}, 0, 0, 4), "n_dims 5");
  expect_error(tensor_file("t", {-1}, 0, 0, 0), "negative dimension");
  expect_error(tensor_file("t", {1ll << 40, 1ll << 40}, 0, 0, 0), "overflows");
  expect_error(tensor_file("t", {32}, 4, 0, 64), "unsupported ggml type 4");
  expect_error(tensor_file("t", {300}, 12, 0, 1024), "not a multiple of q4_K's block of 256");
  expect_error(tensor_file("t", {32}, 0, 16, 256), "not aligned");
  expect_error(tensor_file("t", {32}, 0, 0, 64), "past the end of the file");
  // Two tensors whose data overlap.
  Raw r = header(2, 0);
  r.str("a").put<uint32_t>(1).put<int64_t>(16).put<uint32_t>(0).put<uint64_t>(0);
  r.str("b").put<uint32_t>(1).put<int64_t>(16).put<uint32_t>(0).put<uint64_t>(32);
  r.b.resize((r.b.size() + 31) / 32 * 32, '\0');
  r.b.append(128, '\0');
  expect_error(r.b, "overlap");
  Raw d = header(2, 0);
  d.str("a").put<uint32_t>(1).put<int64_t>(8).put<uint32_t>(0).put<uint64_t>(0);
  d.str("a").put<uint32_t>(1).put<int64_t>(8).put<uint32_t>(0).put<uint64_t>(32);
  d.b.resize((d.b.size() + 31) / 32 * 32, '\0');
  d.b.append(64, '\0');
  expect_error(d.b, "duplicate tensor 'a'");
}

TEST(GgufContainer, WriterRejectsWhatLlamaCppWouldRefuse) {
  Writer w(tmp("w.gguf").string());
  EXPECT_THROW(w.add_kv("", Value::u32(1)), Error);
  w.add_kv("k", Value::u32(1));
  EXPECT_THROW(w.add_kv("k", Value::u32(2)), Error);
  EXPECT_THROW(w.add_tensor(std::string(64, 'x'), {32}, ggml::Type::F32), Error);
  EXPECT_THROW(w.add_tensor("t", {}, ggml::Type::F32), Error);
  EXPECT_THROW(w.add_tensor("t", {1, 1, 1, 1, 1}, ggml::Type::F32), Error);
  try {
    w.add_tensor("q", {100, 4}, ggml::Type::Q4_0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("row of 100 is not a multiple of q4_0's block of 32"), std::string::npos) << e.what();
  }
  w.add_tensor("t", {32}, ggml::Type::F32);
  EXPECT_THROW(w.add_tensor("t", {32}, ggml::Type::F32), Error);
  w.write_header();
  const float x[8] = {};
  EXPECT_THROW(w.write_tensor_data("t", reinterpret_cast<const uint8_t*>(x), sizeof x), Error);  // wrong size
  EXPECT_THROW(w.finish(), Error);  // tensor unwritten
}

TEST(GgufContainer, UnfinishedWriterLeavesNoFile) {
  const fs::path p = tmp("never.gguf");
  {
    Writer w(p.string());
    w.add_kv("k", Value::u32(1));
  }
  EXPECT_FALSE(fs::exists(p));
  for (const auto& e : fs::directory_iterator(p.parent_path()))
    EXPECT_EQ(e.path().filename().string().find("never.gguf.tmp"), std::string::npos) << e.path();
}

}  // namespace
