// The elementwise work of one step of part1's recurrences, in one pass over memory each.
// Tensors are contiguous float32 CPU tensors of n * B elements (z and dz: 4 * n * B), laid out as in
// part1/fast/workspace.py; the names follow the torch back end's cells (cells_torch.py).
#include <torch/extension.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>

// On x86-64 Linux with glibc each loop is compiled for AVX-512, AVX2 and the baseline, and the CPU picks one when
// the module loads. Built without contraction into fused multiply-adds (cells_cpp.FLAGS), every version rounds
// alike.
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

namespace {

// Elements per thread at least: smaller chunks cost more to hand out than to compute. at::parallel_for shares a cell
// out over PyTorch's threads where the module is compiled with OpenMP (cells_cpp.openmp_flags), else runs it whole.
constexpr int64_t GRAIN = 4096;

float* data(const at::Tensor& t, int64_t numel, const char* name) {
  TORCH_CHECK(t.device().is_cpu() && t.scalar_type() == at::kFloat && t.is_contiguous() && t.numel() == numel,
              name, " must be a contiguous float32 CPU tensor of ", numel, " elements");
  return t.data_ptr<float>();
}

// The activations. PyTorch's CPU tanh (SLEEF's, correctly rounded nearly everywhere) costs about six times its
// sigmoid; these are within 1.5 (tanh) and 2.5 ulp (sigmoid, as PyTorch's) of the exact values, branch-free so
// that the loops below vectorise.

// e^x: x = k ln 2 + r with |r| <= ln 2 / 2; e^r by its Taylor polynomial to r^7, 2^k written into the exponent.
inline float exp_(float x) {
  x = std::min(std::max(x, -87.3f), 88.7f);  // 2^k stays a normal number
  const float round = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to an integer
  const float k = (x * 1.44269504088896341f + round) - round;
  const float r = (x - k * 0.693145751953125f) - k * 1.428606765330187e-06f;  // ln 2 in two parts, the first exact
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  float two_k;
  std::memcpy(&two_k, &bits, sizeof two_k);
  return p * two_k;
}

inline float sigmoid_(float x) { return 1.0f / (1.0f + exp_(-x)); }

// tanh x = sign(x) (1 - e) / (1 + e) with e = e^(-2|x|); below |x| = 0.55 (tanh 0.5), where that difference
// cancels, the Taylor series to x^15.
inline float tanh_(float x) {
  const float e = exp_(-2.0f * std::fabs(x));
  const float far = std::copysign((1.0f - e) / (1.0f + e), x);
  const float x2 = x * x;
  float p = -929569.0f / 638512875.0f;
  p = p * x2 + 21844.0f / 6081075.0f;
  p = p * x2 - 1382.0f / 155925.0f;
  p = p * x2 + 62.0f / 2835.0f;
  p = p * x2 - 17.0f / 315.0f;
  p = p * x2 + 2.0f / 15.0f;
  p = p * x2 - 1.0f / 3.0f;
  const float near = x + x * x2 * p;
  return std::fabs(x) < 0.55f ? near : far;
}

CLONES void tanh_range(const float* x, float* y, int64_t begin, int64_t end) {
  for (int64_t j = begin; j < end; j++) y[j] = tanh_(x[j]);
}

CLONES void sigmoid_range(const float* x, float* y, int64_t begin, int64_t end) {
  for (int64_t j = begin; j < end; j++) y[j] = sigmoid_(x[j]);
}

// One forward step from the pre-activations z = [z_g; z_i; z_f; z_o] (4n x B) and c_{t-1}: g = tanh, i, f, o =
// sigmoid (in place in z), c_t = g * i + c_{t-1} * f, tanh(c_t), h_t = tanh(c_t) * o and
// q = o - h_t tanh(c_t) = o (1 - tanh(c_t)^2), which is dh_t/dc_t. N = n * B; elements begin to end.
CLONES void lstm_forward_range(float* __restrict__ z, const float* __restrict__ c_prev, float* __restrict__ c_t,
                               float* __restrict__ tanh_c, float* __restrict__ h_t, float* __restrict__ q_t,
                               int64_t N, int64_t begin, int64_t end) {
  float* __restrict__ z_g = z;
  float* __restrict__ z_i = z + N;
  float* __restrict__ z_f = z + 2 * N;
  float* __restrict__ z_o = z + 3 * N;
  for (int64_t j = begin; j < end; j++) {
    const float g = tanh_(z_g[j]), i = sigmoid_(z_i[j]), f = sigmoid_(z_f[j]), o = sigmoid_(z_o[j]);
    z_g[j] = g;
    z_i[j] = i;
    z_f[j] = f;
    z_o[j] = o;
    const float c = g * i + c_prev[j] * f;
    const float t = tanh_(c);
    const float h = t * o;
    c_t[j] = c;
    tanh_c[j] = t;
    h_t[j] = h;
    q_t[j] = o - h * t;
  }
}

// dL/dz_t from dL/dh_t (dh) and dL/dc_t (dc, from the later steps); dc becomes dL/dc_{t-1}.
CLONES void lstm_backward_range(const float* __restrict__ z, const float* __restrict__ c_prev,
                                const float* __restrict__ t, const float* __restrict__ q_t,
                                const float* __restrict__ dh, float* __restrict__ dc, float* __restrict__ dz,
                                int64_t N, int64_t begin, int64_t end) {
  const float* __restrict__ g = z;
  const float* __restrict__ i = z + N;
  const float* __restrict__ f = z + 2 * N;
  const float* __restrict__ o = z + 3 * N;
  float* __restrict__ dz_g = dz;
  float* __restrict__ dz_i = dz + N;
  float* __restrict__ dz_f = dz + 2 * N;
  float* __restrict__ dz_o = dz + 3 * N;
  for (int64_t j = begin; j < end; j++) {
    const float d = dc[j] + dh[j] * q_t[j];  // dL/dc_t: through the cell state and through h_t
    dz_g[j] = d * i[j] * (1.0f - g[j] * g[j]);
    dz_i[j] = d * g[j] * (i[j] - i[j] * i[j]);
    dz_f[j] = d * c_prev[j] * (f[j] - f[j] * f[j]);
    dz_o[j] = dh[j] * t[j] * (o[j] - o[j] * o[j]);
    dc[j] = d * f[j];
  }
}

// dL/dz_t = dL/dh_t (1 - h_t^2) for h_t = tanh(z_t).
CLONES void rnn_backward_range(const float* __restrict__ h, const float* __restrict__ dh, float* __restrict__ dz,
                               int64_t begin, int64_t end) {
  for (int64_t j = begin; j < end; j++) dz[j] = dh[j] * (1.0f - h[j] * h[j]);
}

void lstm_cell_forward(const at::Tensor& z, const at::Tensor& c, const at::Tensor& c_next, const at::Tensor& tanh_c,
                       const at::Tensor& h, const at::Tensor& q) {
  const int64_t n = c.size(0), N = c.numel();
  TORCH_CHECK(z.dim() == 2 && z.size(0) == 4 * n && z.size(1) == c.size(1), "z must be (4n, B) for c of (n, B)");
  float* z_ = data(z, 4 * N, "z");
  const float* c_ = data(c, N, "c");
  float* c_next_ = data(c_next, N, "c_next");
  float* tanh_c_ = data(tanh_c, N, "tanh_c");
  float* h_ = data(h, N, "h");
  float* q_ = data(q, N, "q");
  at::parallel_for(0, N, GRAIN, [&](int64_t begin, int64_t end) {
    lstm_forward_range(z_, c_, c_next_, tanh_c_, h_, q_, N, begin, end);
  });
}

void lstm_cell_backward(const at::Tensor& z, const at::Tensor& c, const at::Tensor& tanh_c, const at::Tensor& q,
                        const at::Tensor& dh, const at::Tensor& dc, const at::Tensor& dz) {
  const int64_t N = c.numel();
  const float* z_ = data(z, 4 * N, "z");
  const float* c_ = data(c, N, "c");
  const float* tanh_c_ = data(tanh_c, N, "tanh_c");
  const float* q_ = data(q, N, "q");
  const float* dh_ = data(dh, N, "dh");
  float* dc_ = data(dc, N, "dc");
  float* dz_ = data(dz, 4 * N, "dz");
  at::parallel_for(0, N, GRAIN, [&](int64_t begin, int64_t end) {
    lstm_backward_range(z_, c_, tanh_c_, q_, dh_, dc_, dz_, N, begin, end);
  });
}

// h_t = tanh(z_t), in place: h holds z_t = W [h_{t-1}; x_t; 1].
void rnn_cell_forward(const at::Tensor& h) {
  float* h_ = data(h, h.numel(), "h");
  at::parallel_for(0, h.numel(), GRAIN, [&](int64_t begin, int64_t end) { tanh_range(h_, h_, begin, end); });
}

void rnn_cell_backward(const at::Tensor& h, const at::Tensor& dh, const at::Tensor& dz) {
  const int64_t N = h.numel();
  const float* h_ = data(h, N, "h");
  const float* dh_ = data(dh, N, "dh");
  float* dz_ = data(dz, N, "dz");
  at::parallel_for(0, N, GRAIN, [&](int64_t begin, int64_t end) { rnn_backward_range(h_, dh_, dz_, begin, end); });
}

// The activations alone, out of place, for tests.
at::Tensor apply(const at::Tensor& x, void (*range)(const float*, float*, int64_t, int64_t)) {
  at::Tensor y = at::empty_like(x);
  range(data(x, x.numel(), "x"), y.data_ptr<float>(), 0, x.numel());
  return y;
}

at::Tensor tanh_of(const at::Tensor& x) { return apply(x, tanh_range); }
at::Tensor sigmoid_of(const at::Tensor& x) { return apply(x, sigmoid_range); }

// How many threads a cell of N elements is shared out over, for tests.
int64_t threads_for(int64_t N) {
  std::atomic<int64_t> chunks{0};
  at::parallel_for(0, N, GRAIN, [&](int64_t, int64_t) { chunks++; });
  return chunks;
}

}  // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("lstm_cell_forward", &lstm_cell_forward, "one forward step of the LSTM cell after its matmul");
  m.def("lstm_cell_backward", &lstm_cell_backward, "dL/dz_t; dL/dc_t becomes dL/dc_{t-1}");
  m.def("rnn_cell_forward", &rnn_cell_forward, "h_t = tanh(z_t) in place");
  m.def("rnn_cell_backward", &rnn_cell_backward, "dL/dz_t = dL/dh_t (1 - h_t^2)");
  m.def("tanh", &tanh_of, "the cells' tanh");
  m.def("sigmoid", &sigmoid_of, "the cells' sigmoid");
  m.def("threads_for", &threads_for, "how many threads a cell of N elements is shared out over");
}
