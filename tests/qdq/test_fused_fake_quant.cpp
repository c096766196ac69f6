// Fused int fake-quant (schemes/qdq/fused) against the ATen reference chain (qdq_int)
// and against auto-round itself: the forward must be bit-identical, gradients equal
// up to the summation order of the per-group sums.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/io/safetensors.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/torch_compat.h"
#include "schemes/qdq/fused/fake_quant.h"
#include "schemes/qdq/fused/int_fq_kernels.h"
#include "schemes/qdq/fused/int_fq_op.h"

using namespace arecipe;
using qdq::FakeQuantImpl;

namespace {

// Byte equality: catches -0 vs +0 and NaN payloads that at::equal would not.
bool bits_equal(const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || !a.sizes().equals(b.sizes())) return false;
  const at::Tensor x = a.contiguous(), y = b.contiguous();
  return std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) == 0;
}

// Largest |got - want| / bound over elements, where bound bounds the size of the terms
// that were summed: a summation-order difference stays a few 1e-7 of it, a wrong
// term shows up as O(1).
double worst_vs_bound(const at::Tensor& got, const at::Tensor& want, const at::Tensor& bound) {
  at::Tensor d = (got.to(at::kDouble) - want.to(at::kDouble)).abs();
  return (d / bound.to(at::kDouble).clamp_min(1e-30)).max().item<double>();
}

// SignSGD steps on the sign: it must agree wherever the gradient is not negligible.
bool signs_agree(const at::Tensor& got, const at::Tensor& want, double negligible) {
  const at::Tensor big = want.abs() > negligible;
  return at::equal(got.sign().masked_select(big), want.sign().masked_select(big));
}

// A weight [n, k] (k not a multiple of the group size) with the features that matter:
// an outlier of each sign, an all-zero row, and row 0 built so that with alpha = beta
// = 1 the scale is exactly 1/8 and t/scale hits exact .5 ties (and exact bounds).
struct Case {
  at::Tensor w, v, alpha, beta, grad;
};

Case make_case(int bits, int64_t gs, bool sym, at::ScalarType dtype, int64_t n, int64_t k, uint64_t seed) {
  at::manual_seed(seed);
  at::Tensor w = at::randn({n, k}) * 0.02;
  w[1][3] = 0.3;
  w[2][k - 1] = -0.3;
  w[3].zero_();
  const int64_t maxq_sym = int64_t{1} << (bits - 1), levels = (int64_t{1} << bits) - 1;
  const int64_t g = gs == -1 || k < gs ? k : gs;
  // Row 0: multiples of s0/2 (half steps of the grid), extremes fixing scale = s0.
  const double s0 = 0.125;
  at::Tensor j = at::randint(-levels, levels + 1, {k}).to(at::kFloat);
  w[0] = j * (s0 / 2);
  for (int64_t c = 0; c < k; c += g) {
    if (sym) {
      w[0][c] = -static_cast<double>(maxq_sym) * s0;
    } else {
      w[0][c] = -static_cast<double>(levels) * s0 / 2;
      if (c + 1 < k) w[0][c + 1] = static_cast<double>(levels) * s0 / 2;
    }
  }
  w = w.to(dtype);
  const int64_t groups = n * ((k + g - 1) / g);
  // V beyond SignRound's +-0.5 so that codes hit both clamp bounds often.
  at::Tensor v = at::rand({groups, g}) * 2 - 1;
  at::Tensor alpha = at::rand({groups}) * 0.6 + 0.4, beta = at::rand({groups}) * 0.6 + 0.4;
  const int64_t row0_groups = groups / n;
  // Row 0 keeps alpha = beta = 1 (exact scale) and V in {0, +-0.5}: exact ties.
  alpha.narrow(0, 0, row0_groups).fill_(1.0);
  beta.narrow(0, 0, row0_groups).fill_(1.0);
  v.narrow(0, 0, row0_groups).copy_((at::randint(-1, 2, {row0_groups, g}) * 0.5).to(at::kFloat));
  at::Tensor grad = at::randn({n, k}).to(dtype);
  return {w, v, alpha, beta, grad};
}

struct Grads {
  at::Tensor out, v, alpha, beta;
};

// Against the reference chain the fused kernels follow the linked LibTorch's clamp
// gradient rule (ClampGradRule), so the comparison is exact on 1.13 and 2.x alike.
Grads run(const Case& c, const qdq::IntSpec& spec, FakeQuantImpl impl, bool with_v = true,
          qdq::ClampGradRule rule = qdq::ClampGradRule::LinkedTorch) {
  qdq::IntTuning tun;
  if (with_v) tun.v = c.v.clone().requires_grad_();
  tun.min_scale = c.alpha.clone().requires_grad_();
  tun.max_scale = c.beta.clone().requires_grad_();
  at::Tensor out = qdq::fake_quant_int(c.w, spec, tun, impl, rule);
  out.backward(c.grad);
  return {out.detach(), with_v ? tun.v.grad() : at::Tensor(), tun.min_scale.grad(), tun.max_scale.grad()};
}

struct Combo {
  int bits;
  int64_t gs;
  bool sym;
  at::ScalarType dtype;
};
[[maybe_unused]] void PrintTo(const Combo& c, std::ostream* os) {
  *os << "w" << c.bits << "g" << c.gs << (c.sym ? "sym" : "asym") << (c.dtype == at::kBFloat16 ? "_bf16" : "");
}

std::vector<Combo> all_combos() {
  std::vector<Combo> out;
  for (int bits : {2, 3, 4, 8})
    for (int64_t gs : {32, 128, -1})
      for (bool sym : {true, false})
        for (at::ScalarType dt : {at::kFloat, at::kBFloat16}) out.push_back({bits, gs, sym, dt});
  return out;
}

class FusedVsReference : public ::testing::TestWithParam<Combo> {};

TEST_P(FusedVsReference, ForwardBitIdenticalGradientsMatch) {
  const Combo& p = GetParam();
  const qdq::IntSpec spec{p.bits, p.gs, p.sym};
  const Case c = make_case(p.bits, p.gs, p.sym, p.dtype, 24, 300, 17 + p.bits);
  for (bool with_v : {true, false}) {
    SCOPED_TRACE(with_v ? "with V" : "without V (RTN)");
    const Grads ref = run(c, spec, FakeQuantImpl::Reference, with_v);
    const Grads got = run(c, spec, FakeQuantImpl::Fused, with_v);
    ASSERT_EQ(got.out.scalar_type(), p.dtype);
    EXPECT_TRUE(bits_equal(got.out, ref.out)) << "forward differs from the ATen chain";
    // Not vacuous: the fake-quant weight is not the weight, codes hit both bounds.
    EXPECT_FALSE(at::equal(got.out, c.w));
    if (with_v) {
      // Element-wise gradient: no sums involved, must be exact.
      EXPECT_TRUE(at::equal(got.v, ref.v)) << "grad V differs";
      EXPECT_GT(ref.v.abs().sum().item<double>(), 0.0);
      EXPECT_GT((ref.v == 0).sum().item<int64_t>(), 0) << "no element clamped: bounds untested";
    }
    // alpha/beta: the group sums pass through the fp16 cast of the scale, so a
    // summation-order difference may move one fp16 ulp of either scale contribution
    // (measured worst: 6e-4 of |grad| + 1e-3 max|grad|); a wrong term gives O(1).
    for (const auto& [name, a, b] : {std::tuple{"alpha", got.alpha, ref.alpha}, std::tuple{"beta", got.beta, ref.beta}}) {
      const double scale = b.abs().max().item<double>();
      ASSERT_GT(scale, 0.0) << name;
      EXPECT_LT(worst_vs_bound(a, b, b.abs() + scale * 1e-3), 4e-3) << name;
      EXPECT_TRUE(signs_agree(a, b, scale * 1e-2)) << name;
    }
  }
}

TEST_P(FusedVsReference, NoGradForwardBitIdentical) {
  // Without autograd qdq_int rounds with plain round (a zero code keeps its sign);
  // the fused path must follow (IntGrid::ste).
  const Combo& p = GetParam();
  const qdq::IntSpec spec{p.bits, p.gs, p.sym};
  const Case c = make_case(p.bits, p.gs, p.sym, p.dtype, 24, 300, 29 + p.bits);
  const NoGradGuard no_grad;
  qdq::IntTuning tun;
  tun.v = c.v;
  tun.min_scale = c.alpha;
  tun.max_scale = c.beta;
  EXPECT_TRUE(bits_equal(qdq::fake_quant_int(c.w, spec, tun, FakeQuantImpl::Fused),
                         qdq::fake_quant_int(c.w, spec, tun, FakeQuantImpl::Reference)));
  EXPECT_TRUE(bits_equal(qdq::fake_quant_int(c.w, spec, {}, FakeQuantImpl::Fused), qdq::qdq_int(c.w, spec).qdq));
}

INSTANTIATE_TEST_SUITE_P(Int, FusedVsReference, ::testing::ValuesIn(all_combos()), [](const auto& info) {
  const Combo& c = info.param;
  return "w" + std::to_string(c.bits) + "g" + (c.gs < 0 ? std::string("m1") : std::to_string(c.gs)) +
         (c.sym ? "sym" : "asym") + (c.dtype == at::kBFloat16 ? "_bf16" : "_fp32");
});

// The op itself with fp32 scale/zp leaves (no fp16 cast in between): every gradient,
// including the weight's, against autograd through the ATen formula, tightly.
struct OpResult {
  at::Tensor out, t, v, s_in, s_out, zp;
};

OpResult op_grads(bool fused, const at::Tensor& t0, const at::Tensor& v0, const at::Tensor& s0,
                  const at::Tensor& zp0, const at::Tensor& go, int bits, bool sym) {
  at::Tensor t = t0.clone().requires_grad_(), v = v0.clone().requires_grad_();
  at::Tensor s_in = s0.clone().requires_grad_(), s_out = s0.clone().requires_grad_();
  at::Tensor zp = sym ? at::Tensor() : zp0.clone().requires_grad_();
  at::Tensor out;
  if (fused) {
    out = qdq::fused::int_fake_quant_grouped(t, v, s_in, s_out, zp, bits, sym, true,
                                             qdq::fused::linked_torch_clamp_grad_at_bounds());
  } else {
    const auto grid = qdq::fused::int_grid(bits, sym);
    at::Tensor x = t / s_in.unsqueeze(1) + v;
    at::Tensor r = (x.round() - x).detach() + x;
    out = sym ? at::clamp(r, grid.lo, grid.hi) * s_out.unsqueeze(1)
              : s_out.unsqueeze(1) * (at::clamp(r + zp.unsqueeze(1), grid.lo, grid.hi) - zp.unsqueeze(1));
  }
  out.backward(go);
  return {out.detach(), t.grad(), v.grad(), s_in.grad(), s_out.grad(), sym ? at::Tensor() : zp.grad()};
}

TEST(FusedOp, AllGradientsMatchAutogradThroughTheFormula) {
  for (int bits : {2, 4, 8}) {
    for (bool sym : {true, false}) {
      SCOPED_TRACE("bits " + std::to_string(bits) + (sym ? " sym" : " asym"));
      at::manual_seed(bits);
      const int64_t rows = 64, g = 131;  // g not a multiple of 8: vector tail
      at::Tensor t = at::randn({rows, g}) * 0.02;
      at::Tensor s = ((at::rand({rows}) * 0.004 + 0.001) * (sym ? at::where(at::rand({rows}) < 0.5, -1.0, 1.0)
                                                                 : at::ones({rows})))
                         .to(at::kHalf).to(at::kFloat);
      at::Tensor v = at::rand({rows, g}) * 2 - 1;
      at::Tensor zp = at::randint(0, 1 << bits, {rows}).to(at::kFloat);
      at::Tensor go = at::randn({rows, g});
      const OpResult ref = op_grads(false, t, v, s, zp, go, bits, sym);
      const OpResult got = op_grads(true, t, v, s, zp, go, bits, sym);
      EXPECT_TRUE(bits_equal(got.out, ref.out));
      EXPECT_TRUE(at::equal(got.v, ref.v));
      EXPECT_TRUE(at::equal(got.t, ref.t));
      const at::Tensor d = (t / s.unsqueeze(1)).abs();
      const double maxq = static_cast<double>(1 << bits);
      EXPECT_LT(worst_vs_bound(got.s_in, ref.s_in, (go.abs() * d).sum(1)), 1e-5);
      EXPECT_LT(worst_vs_bound(got.s_out, ref.s_out, go.abs().sum(1) * maxq), 1e-5);
      if (!sym) EXPECT_LT(worst_vs_bound(got.zp, ref.zp, 2 * (go.abs() * s.abs().unsqueeze(1)).sum(1)), 1e-5);
      // Not vacuous: the per-group gradients are far from zero.
      EXPECT_GT(ref.s_in.abs().max().item<double>(), 1.0);
    }
  }
}

TEST(FusedOp, ClampGradientRuleAtTheBounds) {
  // Codes -8 (on lo), -7, 7 (on hi), 8 (beyond); scale 1, no V.
  const at::Tensor t = at::tensor({-8.f, -7.f, 7.f, 8.f}).reshape({1, 4});
  for (bool at_bounds : {false, true}) {
    at::Tensor v = at::zeros({1, 4}).requires_grad_();
    const at::Tensor s = at::ones({1});
    qdq::fused::int_fake_quant_grouped(t, v, s, s, at::Tensor(), 4, true, true, at_bounds).sum().backward();
    const std::vector<float> want = at_bounds ? std::vector<float>{1, 1, 1, 0} : std::vector<float>{0, 1, 0, 0};
    EXPECT_TRUE(at::equal(v.grad(), at::tensor(want).reshape({1, 4}))) << "at_bounds " << at_bounds;
  }
}

// Deterministic: the same bytes with 1, 2 or 3 threads, and from the AVX2 and scalar loops.
TEST(FusedDeterminism, ThreadCountAndIsaIndependent) {
  const qdq::IntSpec spec{2, 32, false};
  const Case c = make_case(2, 32, false, at::kFloat, 256, 520, 5);  // 4352 groups: several tasks
  const int saved = at::get_num_threads();
  at::set_num_threads(1);
  const Grads one = run(c, spec, FakeQuantImpl::Fused);
  at::set_num_threads(2);
  const Grads two = run(c, spec, FakeQuantImpl::Fused);
  at::set_num_threads(3);
  const Grads three = run(c, spec, FakeQuantImpl::Fused);
  qdq::fused::force_scalar_cpu_kernels(true);
  const Grads scalar = run(c, spec, FakeQuantImpl::Fused);
  qdq::fused::force_scalar_cpu_kernels(false);
  at::set_num_threads(saved);
  for (const Grads* o : {&two, &three, &scalar}) {
    EXPECT_TRUE(bits_equal(o->out, one.out));
    EXPECT_TRUE(bits_equal(o->v, one.v));
    EXPECT_TRUE(bits_equal(o->alpha, one.alpha));
    EXPECT_TRUE(bits_equal(o->beta, one.beta));
  }
}

TEST(FusedFakeQuant, NonFp32MathFallsBackToTheReference) {
  // bf16 weights with a bf16 scale compute in bf16 upstream; the fused path must not
  // claim them (the kernels are fp32).
  const Case c = make_case(4, 32, true, at::kBFloat16, 8, 64, 3);
  const qdq::IntSpec spec{4, 32, true, at::kBFloat16};
  const Grads ref = run(c, spec, FakeQuantImpl::Reference), got = run(c, spec, FakeQuantImpl::Fused);
  EXPECT_TRUE(bits_equal(got.out, ref.out));
  EXPECT_TRUE(bits_equal(got.alpha, ref.alpha));
}

TEST(FusedFakeQuant, Fp32ScaleAddsBothScaleContributionsInFp32) {
  // GGUF's scale_dtype fp32: one tensor feeds both scale inputs of the op.
  for (bool sym : {true, false}) {
    const Case c = make_case(3, 32, sym, at::kFloat, 16, 100, 9);
    const qdq::IntSpec spec{3, 32, sym, at::kFloat, 1e-8};
    const Grads ref = run(c, spec, FakeQuantImpl::Reference), got = run(c, spec, FakeQuantImpl::Fused);
    EXPECT_TRUE(bits_equal(got.out, ref.out));
    EXPECT_TRUE(at::equal(got.v, ref.v));
    const double scale = ref.beta.abs().max().item<double>();
    EXPECT_LT(worst_vs_bound(got.beta, ref.beta, ref.beta.abs() + scale * 1e-3), 1e-4);
    EXPECT_LT(worst_vs_bound(got.alpha, ref.alpha, ref.alpha.abs() + scale * 1e-3), 1e-4);
  }
}

// --- CUDA kernels (compiled only in CUDA builds; need a GPU to run) ---

Case on_device(const Case& c, const at::Device& d) {
  return {c.w.to(d), c.v.to(d), c.alpha.to(d), c.beta.to(d), c.grad.to(d)};
}

TEST(FusedCuda, MatchesTheChainOnTheGpuAndTheCpuKernels) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA GPU here; the CUDA kernels are compile-checked only";
  ASSERT_TRUE(qdq::fused::have_cuda_kernels()) << "a GPU is present but this build has no CUDA kernels";
  const at::Device gpu(at::kCUDA, 0);
  for (const Combo& p : all_combos()) {
    std::ostringstream name;
    PrintTo(p, &name);
    SCOPED_TRACE(name.str());
    const qdq::IntSpec spec{p.bits, p.gs, p.sym};
    const Case cpu_case = make_case(p.bits, p.gs, p.sym, p.dtype, 24, 300, 17 + p.bits);
    const Case c = on_device(cpu_case, gpu);
    const Grads ref = run(c, spec, FakeQuantImpl::Reference);
    const Grads got = run(c, spec, FakeQuantImpl::Fused);
    const Grads again = run(c, spec, FakeQuantImpl::Fused);
    const Grads cpu = run(cpu_case, spec, FakeQuantImpl::Fused);
    ASSERT_TRUE(got.out.is_cuda());
    EXPECT_TRUE(bits_equal(got.out.cpu(), ref.out.cpu())) << "forward differs from the ATen chain on the GPU";
    EXPECT_TRUE(bits_equal(got.out.cpu(), cpu.out)) << "GPU and CPU kernels differ";
    EXPECT_TRUE(at::equal(got.v.cpu(), ref.v.cpu()));
    EXPECT_TRUE(bits_equal(got.alpha.cpu(), again.alpha.cpu())) << "not deterministic";
    for (const auto& [a, b] : {std::pair{got.alpha.cpu(), ref.alpha.cpu()}, std::pair{got.beta.cpu(), ref.beta.cpu()}}) {
      const double scale = b.abs().max().item<double>();
      EXPECT_LT(worst_vs_bound(a, b, b.abs() + scale * 1e-3), 4e-3);
      EXPECT_TRUE(signs_agree(a, b, scale * 1e-2));
    }
  }
}

// --- auto-round's own gradients (fixture: tests/qdq/gen_fused_golden.py) ---

const SafetensorsFile& golden_file() {
  static const auto f = std::make_unique<SafetensorsFile>(std::string(ARECIPE_SOURCE_DIR) +
                                                          "/tests/qdq/golden/fused_grad_golden.safetensors");
  return *f;
}

at::Tensor golden(const std::string& name) {
  const TensorInfo* info = golden_file().find(name);
  if (info == nullptr) throw std::runtime_error("fused golden fixture lacks " + name);
  return to_tensor(golden_file().view(*info), info->dtype == DType::BF16 ? at::kBFloat16 : at::kFloat);
}

struct GoldenCase {
  const char* name;
  int bits;
  int64_t gs;
  bool sym;
};
[[maybe_unused]] void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name; }

class FusedGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(FusedGolden, MatchesAutoRoundForwardAndGradients) {
  const GoldenCase& c = GetParam();
  const std::string n = std::string(c.name) + "/";
  // The reference chain's gradients match auto-round only on a LibTorch with
  // auto-round's clamp rule (2.x); the fused kernels must match everywhere.
  std::vector<FakeQuantImpl> impls{FakeQuantImpl::Fused};
  if (!qdq::fused::linked_torch_clamp_grad_at_bounds()) impls.push_back(FakeQuantImpl::Reference);
  for (FakeQuantImpl impl : impls) {
    SCOPED_TRACE(impl == FakeQuantImpl::Fused ? "fused" : "reference");
    qdq::IntTuning tun;
    tun.v = golden(n + "v").requires_grad_();
    tun.min_scale = golden(n + "alpha").requires_grad_();
    tun.max_scale = golden(n + "beta").requires_grad_();
    tun.weight_min = golden(n + "wmin");
    tun.weight_max = golden(n + "wmax");
    const at::Tensor w = golden(n + "weight");
    at::Tensor out = qdq::fake_quant_int(w, {c.bits, c.gs, c.sym}, tun, impl);
    EXPECT_TRUE(bits_equal(out, golden(n + "qdq"))) << "forward differs from auto-round";
    out.backward(golden(n + "qdq_grad"));
    EXPECT_TRUE(at::equal(tun.v.grad(), golden(n + "v_grad"))) << "grad of value differs";
    for (const char* field : {"alpha", "beta"}) {
      const at::Tensor got = field[0] == 'a' ? tun.min_scale.grad() : tun.max_scale.grad();
      const at::Tensor want = golden(n + field + "_grad");
      const double scale = want.abs().max().item<double>();
      ASSERT_GT(scale, 0.0) << field;
      // Measured worst vs auto-round: 2.8e-3 (fp16-ulp moves as above, larger where the
      // two scale contributions nearly cancel); SignSGD only uses the sign.
      EXPECT_TRUE(signs_agree(got, want, scale * 1e-2)) << field;
      EXPECT_LT(worst_vs_bound(got, want, want.abs() + scale * 1e-3), 4e-3) << field;
    }
  }
}

const GoldenCase kGolden[] = {
    {"w4g32_sym", 4, 32, true},       {"w4g128_asym", 4, 128, false},       {"w2g32_asym", 2, 32, false},
    {"w2g32_sym", 2, 32, true},       {"w3gm1_sym", 3, -1, true},           {"w8g32_asym", 8, 32, false},
    {"w4g128_sym_bf16", 4, 128, true}, {"w4g32_asym_bf16", 4, 32, false},
};
INSTANTIATE_TEST_SUITE_P(AutoRound, FusedGolden, ::testing::ValuesIn(kGolden),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace

// --- NVFP4 element chain ---
namespace {

TEST(FusedNvFp4, ForwardBitIdenticalGradientsMatchTheChain) {
  for (at::ScalarType dt : {at::kFloat, at::kBFloat16}) {
    for (int64_t k : {64, 200}) {  // 200: padded last group
      SCOPED_TRACE(std::string(dt == at::kFloat ? "fp32" : "bf16") + " K=" + std::to_string(k));
      at::manual_seed(k);
      at::Tensor w = (at::randn({32, k}) * 0.02);
      w[0][5] = 0.4;  // global scale from one outlier: many blocks far from the max
      w[2].zero_();
      w = w.to(dt);
      const int64_t groups = 32 * ((k + 15) / 16);
      // V beyond +-0.5 so that both clamps (at +-6 and the fp4 top value) are hit.
      const at::Tensor v0 = at::rand({groups, 16}) * 2 - 1;
      const at::Tensor ms0 = at::rand({groups}) * 0.5 + 0.5;
      const at::Tensor go = at::randn({32, k}).to(dt);
      at::Tensor out[2], gv[2], gms[2];
      for (int i = 0; i < 2; ++i) {
        at::Tensor v = v0.clone().requires_grad_(), ms = ms0.clone().requires_grad_();
        out[i] = qdq::fake_quant_nvfp4(w, 16, {}, v, ms, i == 0 ? FakeQuantImpl::Fused : FakeQuantImpl::Reference,
                                      qdq::ClampGradRule::LinkedTorch);
        out[i].backward(go);
        gv[i] = v.grad();
        gms[i] = ms.grad();
      }
      EXPECT_TRUE(bits_equal(out[0].detach(), out[1].detach()));
      EXPECT_TRUE(at::equal(gv[0], gv[1]));
      EXPECT_GT((gv[1] == 0).sum().item<int64_t>(), 0);
      EXPECT_GT(gv[1].abs().sum().item<double>(), 0.0);
      // The all-zero row's blocks get NaN from the chain, as upstream's: where(x == 0, 0,
      // 1/x) backpropagates 0 * inf. Same places, then compare the rest.
      const at::Tensor nan = at::isnan(gms[1]);
      EXPECT_TRUE(at::equal(at::isnan(gms[0]), nan));
      EXPECT_GT(nan.sum().item<int64_t>(), 0);
      const at::Tensor got = gms[0].masked_select(~nan), want = gms[1].masked_select(~nan);
      const double scale = want.abs().max().item<double>();
      ASSERT_GT(scale, 0.0);
      EXPECT_LT(worst_vs_bound(got, want, want.abs() + scale * 1e-3), 1e-4);
      EXPECT_TRUE(signs_agree(got, want, scale * 1e-2));
      // No tuning tensors: RTN.
      EXPECT_TRUE(bits_equal(qdq::fake_quant_nvfp4(w, 16), qdq::fake_quant_nvfp4(w, 16, {}, {}, {}, FakeQuantImpl::Reference)));
    }
  }
}

}  // namespace

// NVFP4 against auto-round's nv_fp4 (fixture: gen_fused_golden.py).
namespace {

class FusedNvFp4Golden : public ::testing::TestWithParam<const char*> {};

TEST_P(FusedNvFp4Golden, MatchesAutoRoundForwardAndGradients) {
  const std::string n = std::string(GetParam()) + "/";
  std::vector<FakeQuantImpl> impls{FakeQuantImpl::Fused};
  if (!qdq::fused::linked_torch_clamp_grad_at_bounds()) impls.push_back(FakeQuantImpl::Reference);
  for (FakeQuantImpl impl : impls) {
    SCOPED_TRACE(impl == FakeQuantImpl::Fused ? "fused" : "reference");
    at::Tensor v = golden(n + "v").requires_grad_(), beta = golden(n + "beta").requires_grad_();
    at::Tensor out =
        qdq::fake_quant_nvfp4(golden(n + "weight"), 16, golden(n + "global_scale").reshape({}), v, beta, impl);
    EXPECT_TRUE(bits_equal(out, golden(n + "qdq"))) << "forward differs from auto-round";
    out.backward(golden(n + "qdq_grad"));
    EXPECT_TRUE(at::equal(v.grad(), golden(n + "v_grad"))) << "grad of value differs";
    const at::Tensor want = golden(n + "beta_grad");
    const double scale = want.abs().max().item<double>();
    ASSERT_GT(scale, 0.0);
    EXPECT_LT(worst_vs_bound(beta.grad(), want, want.abs() + scale * 1e-3), 1e-4);
    EXPECT_TRUE(signs_agree(beta.grad(), want, scale * 1e-2));
  }
}

INSTANTIATE_TEST_SUITE_P(AutoRound, FusedNvFp4Golden, ::testing::Values("nvfp4", "nvfp4_bf16"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
