// Reference test, the acceptance check of GGUF export: from arecipe's own F16 GGUF of
// each fixture model, llama-quantize's output and arecipe's (export_model on the same
// F16 file) must have the same tensors, the same type per tensor and byte-identical
// data — indeed byte-identical files, metadata included — for every pure type and
// every mixture, with and without the same imatrix
// (made by llama-imatrix on the model's calibration text). Each of our files must also
// load and run in llama.cpp. Tools come from scripts/build-llama-cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "engine/io/gguf_reader.h"
#include "exporters/gguf/export_model.h"

namespace fs = std::filesystem;
using namespace arecipe;
using namespace arecipe::gguf;

namespace {

fs::path bin(const std::string& tool) {
  const char* p = std::getenv("ARECIPE_LLAMA_CPP_BIN");
  return (p ? fs::path(p) : fs::path(ARECIPE_BINARY_DIR) / "llama.cpp/bin") / tool;
}

fs::path work_dir() {
  static const fs::path d = [] {
    const fs::path p = fs::temp_directory_path() / ("arecipe-gguf-ref-" + std::to_string(::getpid()));
    fs::create_directories(p);
    return p;
  }();
  return d;
}

// Runs a command, returns its exit status; output goes to a log file shown on failure.
int run(const std::string& cmd, std::string* log = nullptr) {
  const fs::path out = work_dir() / "cmd.log";
  const int rc = std::system((cmd + " > " + out.string() + " 2>&1").c_str());
  if (log) {
    std::ifstream f(out);
    *log = std::string(std::istreambuf_iterator<char>(f), {});
    if (log->size() > 4000) *log = log->substr(log->size() - 4000);
  }
  return rc;
}

struct ModelCase {
  std::string key, dir, calib_text;
  size_t calib_bytes;
};

const std::vector<ModelCase>& models() {
  static const std::vector<ModelCase> m = {
      {"tiny_qwen3", "examples/tiny-qwen3/model", "examples/tiny-qwen3/calibration.txt", 60000},
      {"stories260K", "../shared/fixtures/models/stories260K/hf", "../shared/fixtures/corpora/tinystories_valid_head794k.txt", 60000},
  };
  return m;
}

// F16 GGUF and llama-imatrix output per model, made once.
struct Prepared {
  fs::path f16, imatrix;
};

const Prepared& prepared(const ModelCase& mc) {
  static std::map<std::string, Prepared> cache;
  auto it = cache.find(mc.key);
  if (it != cache.end()) return it->second;
  Prepared p;
  p.f16 = work_dir() / (mc.key + "-f16.gguf");
  ExportOptions opt;
  opt.mixture = "f16";
  export_model(mc.dir, opt, p.f16.string());
  std::ifstream in(mc.calib_text, std::ios::binary);
  std::string text(mc.calib_bytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  const fs::path calib = work_dir() / (mc.key + "-calib.txt");
  std::ofstream(calib, std::ios::binary) << text;
  p.imatrix = work_dir() / (mc.key + "-imatrix.gguf");
  std::string log;
  const std::string cmd = bin("llama-imatrix").string() + " -m " + p.f16.string() + " -f " + calib.string() + " -o " +
                          p.imatrix.string() + " -c 128 --chunks 16 -t 2 --no-ppl";
  if (run(cmd, &log) != 0 || !fs::exists(p.imatrix)) ADD_FAILURE() << cmd << "\n" << log;
  return cache.emplace(mc.key, p).first->second;
}

struct Case {
  std::string model;    // ModelCase key
  std::string type;     // llama-quantize ftype name
  bool pure;
  bool imatrix;
};

std::string case_name(const ::testing::TestParamInfo<Case>& i) {
  return i.param.model + "_" + i.param.type + (i.param.pure ? "_pure" : "") + (i.param.imatrix ? "_imatrix" : "");
}

class VsLlamaQuantize : public ::testing::TestWithParam<Case> {};

TEST_P(VsLlamaQuantize, SameTypesSameBytes) {
  ASSERT_TRUE(fs::exists(bin("llama-quantize"))) << "run scripts/build-llama-cpp " << ARECIPE_BINARY_DIR;
  const Case c = GetParam();
  const ModelCase& mc = *std::find_if(models().begin(), models().end(), [&](const ModelCase& m) { return m.key == c.model; });
  const Prepared& p = prepared(mc);
  const std::string tag = case_name({c, 0});
  const fs::path ref = work_dir() / (tag + "-llama.gguf"), ours = work_dir() / (tag + "-arecipe.gguf");

  std::string log;
  std::string cmd = bin("llama-quantize").string() + (c.pure ? " --pure" : "") +
                    (c.imatrix ? " --imatrix " + p.imatrix.string() : "") + " " + p.f16.string() + " " + ref.string() + " " +
                    c.type + " 2";
  ASSERT_EQ(run(cmd, &log), 0) << cmd << "\n" << log;

  ExportOptions opt;
  opt.mixture = c.type;
  Imatrix im;
  if (c.imatrix) {
    im = read_imatrix(p.imatrix.string());
    opt.imatrix = &im;
    opt.imatrix_file = p.imatrix.string();
  }
  if (c.pure) opt.overrides.push_back({".", parse_mixture(c.type)->base});
  export_model(p.f16.string(), opt, ours.string());

  const Reader a(ref.string()), b(ours.string());
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  EXPECT_EQ(a.get_u32("general.file_type"), b.get_u32("general.file_type"));
  int quantized = 0;
  for (const TensorEntry& ta : a.tensors()) {
    const TensorEntry* tb = b.find_tensor(ta.name);
    ASSERT_NE(tb, nullptr) << ta.name;
    EXPECT_EQ(ggml::info(ta.type).name, std::string(ggml::info(tb->type).name)) << ta.name;
    EXPECT_EQ(ta.dims, tb->dims) << ta.name;
    if (ta.type != tb->type || ta.nbytes != tb->nbytes) continue;
    EXPECT_EQ(std::memcmp(a.data(ta), b.data(*tb), ta.nbytes), 0) << ta.name << " (" << ggml::info(ta.type).name << ") bytes differ";
    quantized += ggml::info(ta.type).quantized;
  }
  EXPECT_GT(quantized, 0);
  // Metadata and layout too: the whole files are identical.
  std::ifstream fa(ref, std::ios::binary), fb(ours, std::ios::binary);
  const std::string whole_a((std::istreambuf_iterator<char>(fa)), {}), whole_b((std::istreambuf_iterator<char>(fb)), {});
  EXPECT_TRUE(whole_a == whole_b) << "files differ (sizes " << whole_a.size() << ", " << whole_b.size() << ")";
  // The PyPI gguf reader parses our file and decodes every tensor close to the source.
  const char* py = std::getenv("ARECIPE_PYTHON");
  ASSERT_NE(py, nullptr) << "set ARECIPE_PYTHON to the reference venv's python (make test does)";
  ASSERT_EQ(run(std::string(py) + " tests/gguf/check_gguf_py.py " + ours.string() + " " + p.f16.string(), &log), 0) << log;
  // llama.cpp loads and runs our file on fixed ids.
  ASSERT_EQ(run(bin("arecipe-llama-logits").string() + " " + ours.string() + " 1,17,42,99,7,300,5 " + (work_dir() / "l.f32").string(), &log), 0)
      << log;
}

std::vector<Case> cases() {
  std::vector<Case> v;
  const std::vector<std::string> pure = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K"};
  const std::vector<std::string> mixes = {"Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M",
                                          "Q5_K_S", "Q5_K_M", "Q6_K", "Q4_0", "Q5_0", "Q8_0"};
  for (const ModelCase& m : models())
    for (bool im : {false, true}) {
      for (const std::string& t : pure) v.push_back({m.key, t, true, im});
      for (const std::string& t : mixes) v.push_back({m.key, t, false, im});
      if (im) v.push_back({m.key, "Q2_K_S", false, true});  // needs an imatrix
    }
  return v;
}

// The work directory holds a few hundred MB of GGUF files: removed at exit.
class CleanUp : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(work_dir(), ec);
  }
};
const auto* const kCleanUp = ::testing::AddGlobalTestEnvironment(new CleanUp);

INSTANTIATE_TEST_SUITE_P(Gguf, VsLlamaQuantize, ::testing::ValuesIn(cases()), case_name);

}  // namespace
