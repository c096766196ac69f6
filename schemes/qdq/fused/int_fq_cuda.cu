// CUDA kernels for the fused int fake-quant (math in int_fq_kernels.h). Built only
// when the LibTorch found has CUDA (cmake/ArecipeDeps.cmake).
//
// Bit-exactness with ATen's CUDA chain: every arithmetic step is an explicit IEEE
// round-to-nearest intrinsic (__fdiv_rn, __fadd_rn, ...), which nvcc never contracts
// into FMA or folds, whatever --fmad says. Backward: one warp per group, each lane
// summing a fixed stride of elements, then a fixed shuffle tree, so per-group sums
// are deterministic.
#include <ATen/cuda/CUDAContext.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>

#include "schemes/qdq/fused/int_fq_kernels.h"

namespace arecipe::qdq::fused {
namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 8;

__device__ __forceinline__ float clamp_to(float x, float lo, float hi) {
  // As torch's clamp: NaN stays NaN; otherwise max then min.
  if (x != x) return x;
  const float m = x < lo ? lo : x;
  return hi < m ? hi : m;
}

__device__ __forceinline__ float round_as(float x, bool ste) {
  const float r = rintf(x);  // half to even
  return ste ? __fadd_rn(r, 0.f) : r;
}

__device__ __forceinline__ bool passes(float c, float lo, float hi, bool at_bounds) {
  return at_bounds ? (c >= lo && c <= hi) : (c > lo && c < hi);
}

template <bool kSym, bool kHasV>
__global__ void fwd_kernel(const float* __restrict__ t, const float* __restrict__ v, const float* __restrict__ a,
                           const float* __restrict__ b, const float* __restrict__ z, float* __restrict__ out,
                           int64_t total, int64_t g, IntGrid grid) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / g;
    float x = __fdiv_rn(t[i], a[r]);
    if (kHasV) x = __fadd_rn(x, v[i]);
    const float q = round_as(x, grid.ste);
    if (kSym) {
      out[i] = __fmul_rn(clamp_to(q, grid.lo, grid.hi), b[r]);
    } else {
      const float zr = z[r];
      out[i] = __fmul_rn(b[r], __fsub_rn(clamp_to(__fadd_rn(q, zr), grid.lo, grid.hi), zr));
    }
  }
}

__device__ __forceinline__ float warp_sum(float x) {
  for (int off = kWarp / 2; off > 0; off /= 2) x = __fadd_rn(x, __shfl_down_sync(0xffffffffu, x, off));
  return x;  // valid in lane 0
}

template <bool kSym, bool kHasV>
__global__ void bwd_kernel(const float* __restrict__ go, const float* __restrict__ t, const float* __restrict__ v,
                           const float* __restrict__ a, const float* __restrict__ b, const float* __restrict__ z,
                           float* __restrict__ gt, float* __restrict__ gv, float* __restrict__ ga,
                           float* __restrict__ gb, float* __restrict__ gz, int64_t rows, int64_t g, IntGrid grid) {
  const int64_t r = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (r >= rows) return;  // whole warps exit together
  const float ar = a[r], br = b[r], zr = kSym ? 0.f : z[r];
  float sa = 0.f, sb = 0.f, szi = 0.f, szo = 0.f;
  for (int64_t j = lane; j < g; j += kWarp) {
    const int64_t i = r * g + j;
    const float d = __fdiv_rn(t[i], ar);
    const float x = kHasV ? __fadd_rn(d, v[i]) : d;
    const float q = round_as(x, grid.ste);
    const float c = kSym ? q : __fadd_rn(q, zr);
    const float gbr = __fmul_rn(go[i], br);
    const float gx = passes(c, grid.lo, grid.hi, grid.grad_at_bounds) ? gbr : 0.f;
    if (gv) gv[i] = gx;
    if (gt) gt[i] = __fdiv_rn(gx, ar);
    sa = __fadd_rn(sa, __fmul_rn(-gx, __fdiv_rn(d, ar)));
    const float qc = clamp_to(c, grid.lo, grid.hi);
    sb = __fadd_rn(sb, __fmul_rn(go[i], kSym ? qc : __fsub_rn(qc, zr)));
    if (!kSym) {
      szi = __fadd_rn(szi, gx);
      szo = __fadd_rn(szo, -gbr);
    }
  }
  sa = warp_sum(sa);
  sb = warp_sum(sb);
  szi = warp_sum(szi);
  szo = warp_sum(szo);
  if (lane == 0) {
    if (ga) ga[r] = sa;
    if (gb) gb[r] = sb;
    if (gz) gz[r] = __fadd_rn(szi, szo);
  }
}

const float* ptr_or_null(const at::Tensor& x) { return x.defined() ? x.data_ptr<float>() : nullptr; }
float* mut_or_null(at::Tensor& x) { return x.defined() ? x.data_ptr<float>() : nullptr; }

template <template <bool, bool> class Launch, typename... Args>
void dispatch(bool sym, bool has_v, Args&&... args) {
  if (sym) {
    has_v ? Launch<true, true>::run(args...) : Launch<true, false>::run(args...);
  } else {
    has_v ? Launch<false, true>::run(args...) : Launch<false, false>::run(args...);
  }
}

template <bool kSym, bool kHasV>
struct LaunchFwd {
  static void run(const IntFqInputs& in, at::Tensor& out, IntGrid grid) {
    const int64_t total = in.t.numel();
    if (total == 0) return;
    const int threads = 256;
    const int64_t blocks = std::min<int64_t>((total + threads - 1) / threads, int64_t{1} << 20);
    fwd_kernel<kSym, kHasV><<<static_cast<unsigned>(blocks), threads, 0, at::cuda::getCurrentCUDAStream()>>>(
        in.t.data_ptr<float>(), ptr_or_null(in.v), in.scale_in.data_ptr<float>(), in.scale_out.data_ptr<float>(),
        ptr_or_null(in.zp), out.data_ptr<float>(), total, in.t.size(1), grid);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  }
};

template <bool kSym, bool kHasV>
struct LaunchBwd {
  static void run(const at::Tensor& go, const IntFqInputs& in, IntFqGrads& out, IntGrid grid) {
    const int64_t rows = in.t.size(0);
    if (rows == 0) return;
    const int64_t blocks = (rows + kWarpsPerBlock - 1) / kWarpsPerBlock;
    bwd_kernel<kSym, kHasV><<<static_cast<unsigned>(blocks), kWarp * kWarpsPerBlock, 0,
                              at::cuda::getCurrentCUDAStream()>>>(
        go.data_ptr<float>(), in.t.data_ptr<float>(), ptr_or_null(in.v), in.scale_in.data_ptr<float>(),
        in.scale_out.data_ptr<float>(), ptr_or_null(in.zp), mut_or_null(out.t), mut_or_null(out.v),
        mut_or_null(out.scale_in), mut_or_null(out.scale_out), mut_or_null(out.zp), rows, in.t.size(1), grid);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  }
};

}  // namespace

at::Tensor int_fq_forward_cuda(const IntFqInputs& in, IntGrid grid) {
  const c10::cuda::CUDAGuard device(in.t.device());
  at::Tensor out = at::empty(in.t.sizes(), in.t.options());
  dispatch<LaunchFwd>(grid.sym, in.v.defined(), in, out, grid);
  return out;
}

IntFqGrads int_fq_backward_cuda(const at::Tensor& grad_out, const IntFqInputs& in, IntGrid grid, IntFqWanted want) {
  const c10::cuda::CUDAGuard device(in.t.device());
  const int64_t rows = in.t.size(0), g = in.t.size(1);
  const at::TensorOptions opt = in.t.options();
  IntFqGrads out;
  if (want.t) out.t = at::empty({rows, g}, opt);
  if (want.v) out.v = at::empty({rows, g}, opt);
  if (want.scale_in) out.scale_in = at::empty({rows}, opt);
  if (want.scale_out) out.scale_out = at::empty({rows}, opt);
  if (want.zp && !grid.sym) out.zp = at::empty({rows}, opt);
  dispatch<LaunchBwd>(grid.sym, in.v.defined(), grad_out, in, out, grid);
  return out;
}

}  // namespace arecipe::qdq::fused
