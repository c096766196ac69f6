// Times one SignRound step's fake-quant work on a layer: fake_quant_int forward plus
// backward to V, alpha and beta, for the fused kernels and the ATen reference chain,
// and prints one JSON line per configuration with the ratio.
//
//   bench_fake_quant [--threads N] [--iters N] [--shape NxK ...] [--scheme wBgG[a]|nvfp4 ...]
// Defaults: shapes 4096x4096 and 4096x11008, schemes w4g128 (sym), w2g32 (sym), nvfp4.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "schemes/qdq/fused/fake_quant.h"

using namespace arecipe;

namespace {

struct Shape {
  int64_t n, k;
};

// One tuning step's fake-quant: forward, then backward of a fixed upstream gradient.
double step_seconds(const at::Tensor& w, const at::Tensor& grad, const qdq::IntSpec& spec, qdq::FakeQuantImpl impl,
                    int iters) {
  const int64_t g = spec.group_size == -1 ? w.size(1) : spec.group_size;
  const int64_t groups = w.size(0) * ((w.size(1) + g - 1) / g);
  qdq::IntTuning tun;
  // The tuner passes the original weight's group min/max (computed once per layer).
  {
    const at::Tensor grouped = w.reshape({groups, g});
    tun.weight_min = at::clamp_max(std::get<0>(grouped.min(-1)), 0);
    tun.weight_max = at::clamp_min(std::get<0>(grouped.max(-1)), 0);
  }
  tun.v = (at::rand({groups, g}) - 0.5).requires_grad_();
  tun.min_scale = (at::rand({groups}) * 0.5 + 0.5).requires_grad_();
  tun.max_scale = (at::rand({groups}) * 0.5 + 0.5).requires_grad_();
  std::vector<double> times;
  for (int i = 0; i < iters + 1; ++i) {  // the first run warms allocator and caches
    const auto t0 = std::chrono::steady_clock::now();
    at::Tensor out = qdq::fake_quant_int(w, spec, tun, impl);
    out.backward(grad);
    const auto t1 = std::chrono::steady_clock::now();
    tun.v.mutable_grad() = at::Tensor();
    tun.min_scale.mutable_grad() = at::Tensor();
    tun.max_scale.mutable_grad() = at::Tensor();
    if (i > 0) times.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// The same for NVFP4 (group 16, V and max_scale tuned).
double nvfp4_step_seconds(const at::Tensor& w, const at::Tensor& grad, qdq::FakeQuantImpl impl, int iters) {
  const int64_t groups = w.size(0) * ((w.size(1) + 15) / 16);
  at::Tensor v = (at::rand({groups, 16}) - 0.5).requires_grad_();
  at::Tensor beta = (at::rand({groups}) * 0.5 + 0.5).requires_grad_();
  std::vector<double> times;
  for (int i = 0; i < iters + 1; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    qdq::fake_quant_nvfp4(w, 16, {}, v, beta, impl).backward(grad);
    const auto t1 = std::chrono::steady_clock::now();
    v.mutable_grad() = at::Tensor();
    beta.mutable_grad() = at::Tensor();
    if (i > 0) times.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

qdq::IntSpec parse_scheme(const std::string& s) {
  // w<bits>g<group>[a]: e.g. w4g128, w2g32a (asym)
  qdq::IntSpec spec;
  const size_t gpos = s.find('g');
  spec.bits = std::stoi(s.substr(1, gpos - 1));
  spec.sym = s.back() != 'a';
  spec.group_size = std::stoll(s.substr(gpos + 1, s.size() - gpos - 1 - (spec.sym ? 0 : 1)));
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = at::get_num_threads(), iters = 5;
  std::vector<Shape> shapes;
  std::vector<std::string> schemes;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--iters" && i + 1 < argc) iters = std::atoi(argv[++i]);
    else if (a == "--shape" && i + 1 < argc) {
      const std::string s = argv[++i];
      shapes.push_back({std::stoll(s.substr(0, s.find('x'))), std::stoll(s.substr(s.find('x') + 1))});
    } else if (a == "--scheme" && i + 1 < argc) schemes.push_back(argv[++i]);
    else {
      std::fprintf(stderr, "usage: bench_fake_quant [--threads N] [--iters N] [--shape NxK] [--scheme w4g128[a]|nvfp4]\n");
      return 2;
    }
  }
  if (shapes.empty()) shapes = {{4096, 4096}, {4096, 11008}};
  if (schemes.empty()) schemes = {"w4g128", "w2g32", "nvfp4"};
  at::set_num_threads(threads);
  at::manual_seed(0);
  for (const Shape& sh : shapes) {
    const at::Tensor w = at::randn({sh.n, sh.k}) * 0.02;
    const at::Tensor grad = at::randn({sh.n, sh.k});
    for (const std::string& name : schemes) {
      double fused = 0, ref = 0;
      if (name == "nvfp4") {
        fused = nvfp4_step_seconds(w, grad, qdq::FakeQuantImpl::Fused, iters);
        ref = nvfp4_step_seconds(w, grad, qdq::FakeQuantImpl::Reference, iters);
      } else {
        const qdq::IntSpec spec = parse_scheme(name);
        fused = step_seconds(w, grad, spec, qdq::FakeQuantImpl::Fused, iters);
        ref = step_seconds(w, grad, spec, qdq::FakeQuantImpl::Reference, iters);
      }
      std::printf(
          "{\"shape\": \"%lldx%lld\", \"scheme\": \"%s\", \"threads\": %d, \"fused_ms\": %.1f, \"aten_ms\": %.1f, "
          "\"speedup\": %.2f}\n",
          static_cast<long long>(sh.n), static_cast<long long>(sh.k), name.c_str(), threads, fused * 1e3, ref * 1e3,
          ref / fused);
      std::fflush(stdout);
    }
  }
  return 0;
}
