// The elementwise work of one step of part1's recurrences, the products in one pass over memory each.
// Tensors are contiguous float32 CPU tensors of n * B elements (z and dz: 4 * n * B), laid out as in
// part1/bptt.py's Workspace; the names follow the eager cells there, which compute the same.
#include <torch/extension.h>

#include <ATen/Parallel.h>

namespace {

constexpr int64_t GRAIN = 4096;  // elements per thread at least: smaller chunks cost more to hand out than to compute

float* data(const at::Tensor& t, int64_t numel, const char* name) {
  TORCH_CHECK(t.device().is_cpu() && t.scalar_type() == at::kFloat && t.is_contiguous() && t.numel() == numel,
              name, " must be a contiguous float32 CPU tensor of ", numel, " elements");
  return t.data_ptr<float>();
}

// One forward step from the pre-activations z = [z_g; z_i; z_f; z_o] (4n x B) and c_{t-1}: g = tanh, i, f, o =
// sigmoid (in place in z, by PyTorch's own kernels), c_t = g * i + c_{t-1} * f, tanh(c_t), h_t = tanh(c_t) * o
// and q = o - h_t tanh(c_t) = o (1 - tanh(c_t)^2), which is dh_t/dc_t.
void lstm_cell_forward(const at::Tensor& z, const at::Tensor& c, const at::Tensor& c_next, at::Tensor tanh_c,
                       const at::Tensor& h, const at::Tensor& q) {
  const int64_t n = c.size(0), N = c.numel();
  TORCH_CHECK(z.dim() == 2 && z.size(0) == 4 * n && z.size(1) == c.size(1), "z must be (4n, B) for c of (n, B)");
  const float* g_ = data(z, 4 * N, "z");
  const float* c_ = data(c, N, "c");
  float* c_next_ = data(c_next, N, "c_next");
  float* tanh_c_ = data(tanh_c, N, "tanh_c");
  float* h_ = data(h, N, "h");
  float* q_ = data(q, N, "q");
  z.narrow(0, 0, n).tanh_();
  z.narrow(0, n, 3 * n).sigmoid_();
  at::parallel_for(0, N, GRAIN, [&](int64_t begin, int64_t end) {
    const float* __restrict__ g = g_;
    const float* __restrict__ i = g_ + N;
    const float* __restrict__ f = g_ + 2 * N;
    const float* __restrict__ c_prev = c_;
    float* __restrict__ c_t = c_next_;
    for (int64_t j = begin; j < end; j++) c_t[j] = g[j] * i[j] + c_prev[j] * f[j];
  });
  at::tanh_out(tanh_c, c_next);
  at::parallel_for(0, N, GRAIN, [&](int64_t begin, int64_t end) {
    const float* __restrict__ o = g_ + 3 * N;
    const float* __restrict__ t = tanh_c_;
    float* __restrict__ h_t = h_;
    float* __restrict__ q_t = q_;
    for (int64_t j = begin; j < end; j++) {
      h_t[j] = t[j] * o[j];
      q_t[j] = o[j] - h_t[j] * t[j];
    }
  });
}

// dL/dz_t from dL/dh_t (gh) and dL/dc_t (gc, from the later steps); gc becomes dL/dc_{t-1}.
void lstm_cell_backward(const at::Tensor& z, const at::Tensor& c, const at::Tensor& tanh_c, const at::Tensor& q,
                        const at::Tensor& gh, const at::Tensor& gc, const at::Tensor& dz) {
  const int64_t N = c.numel();
  const float* g_ = data(z, 4 * N, "z");
  const float* c_ = data(c, N, "c");
  const float* tanh_c_ = data(tanh_c, N, "tanh_c");
  const float* q_ = data(q, N, "q");
  const float* gh_ = data(gh, N, "gh");
  float* gc_ = data(gc, N, "gc");
  float* dz_ = data(dz, 4 * N, "dz");
  at::parallel_for(0, N, GRAIN, [&](int64_t begin, int64_t end) {
    const float* __restrict__ g = g_;
    const float* __restrict__ i = g_ + N;
    const float* __restrict__ f = g_ + 2 * N;
    const float* __restrict__ o = g_ + 3 * N;
    const float* __restrict__ c_prev = c_;
    const float* __restrict__ t = tanh_c_;
    const float* __restrict__ q_t = q_;
    const float* __restrict__ dh = gh_;
    float* __restrict__ dc = gc_;
    float* __restrict__ dz_g = dz_;
    float* __restrict__ dz_i = dz_ + N;
    float* __restrict__ dz_f = dz_ + 2 * N;
    float* __restrict__ dz_o = dz_ + 3 * N;
    for (int64_t j = begin; j < end; j++) {
      const float d = dc[j] + dh[j] * q_t[j];  // dL/dc_t: through the cell state and through h_t
      dz_g[j] = d * i[j] * (1.0f - g[j] * g[j]);
      dz_i[j] = d * g[j] * (i[j] - i[j] * i[j]);
      dz_f[j] = d * c_prev[j] * (f[j] - f[j] * f[j]);
      dz_o[j] = dh[j] * t[j] * (o[j] - o[j] * o[j]);
      dc[j] = d * f[j];
    }
  });
}

// dL/dz_t = dL/dh_t (1 - h_t^2) for h_t = tanh(z_t).
void rnn_cell_backward(const at::Tensor& h, const at::Tensor& gh, const at::Tensor& dz) {
  const int64_t N = h.numel();
  const float* h_ = data(h, N, "h");
  const float* gh_ = data(gh, N, "gh");
  float* dz_ = data(dz, N, "dz");
  at::parallel_for(0, N, GRAIN, [&](int64_t begin, int64_t end) {
    const float* __restrict__ h_t = h_;
    const float* __restrict__ dh = gh_;
    float* __restrict__ d = dz_;
    for (int64_t j = begin; j < end; j++) d[j] = dh[j] * (1.0f - h_t[j] * h_t[j]);
  });
}

}  // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("lstm_cell_forward", &lstm_cell_forward, "one forward step of the LSTM cell after its matmul");
  m.def("lstm_cell_backward", &lstm_cell_backward, "dL/dz_t; dL/dc_t becomes dL/dc_{t-1}");
  m.def("rnn_cell_backward", &rnn_cell_backward, "dL/dz_t = dL/dh_t (1 - h_t^2)");
}
