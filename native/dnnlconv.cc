// Conv2D forward and both gradients through oneDNN (Debian's libdnnl), for the tfjs wasm backend.
//
// Why: tfjs-node cannot install on these machines (its libtensorflow download is unreachable), and the
// wasm backend runs convolutions at ~30 GFLOP/s on one core where oneDNN reaches 100-180 (bench/kernels.ts,
// docs/model-notes.md section 29). lib/core/nativeConv.ts registers these as wasm kernels: the tensors stay
// in wasm memory and this code reads and writes them in place, synchronously.
//
// Written against oneDNN 2.x (Debian 12's 2.6.3). oneDNN 3.x dropped the op descriptors used below, so
// there the build fails, scripts/build-native.mjs says so, and the wasm kernels run.
// Layouts are tfjs's: activations NHWC, filters HWIO (oneDNN's `hwio` tag), explicit pads.
// One call = one primitive execution; primitives are cached per thread (training runs one JS thread per
// core, each with its own cache, so nothing here is shared between threads).
#include <node_api.h>
#include <omp.h>
#include <dnnl.hpp>
#include <memory>
#include <string>
#include <unordered_map>

using namespace dnnl;

namespace {

enum Kind { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };
constexpr int kGeom = 15;  // n, h, w, ci, kh, kw, co, oh, ow, sh, sw, pt, pb, pl, pr

struct Cached {
  std::unique_ptr<primitive> prim;
  memory::desc src, wei, dst, bias;
};

struct ThreadState {
  engine eng{engine::kind::cpu, 0};
  stream strm{eng};
  std::unordered_map<std::string, Cached> cache;
};

ThreadState& state() {
  thread_local ThreadState s;
  return s;
}

bool fail(napi_env env, const std::string& msg) {
  napi_throw_error(env, nullptr, ("dnnlconv: " + msg).c_str());
  return false;
}

bool floats(napi_env env, napi_value v, size_t want, const char* name, float** out) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (!is) return fail(env, std::string(name) + " must be a Float32Array");
  napi_typedarray_type t;
  size_t n;
  void* data;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, v, &t, &n, &data, &ab, &off);
  if (t != napi_float32_array) return fail(env, std::string(name) + " must be a Float32Array");
  if (n != want) return fail(env, std::string(name) + " has " + std::to_string(n) + " floats, the geometry needs " + std::to_string(want));
  *out = static_cast<float*>(data);
  return true;
}

Cached make(const int64_t* g, int kind, bool bias, bool relu) {
  const memory::dim n = g[0], h = g[1], w = g[2], ci = g[3], kh = g[4], kw = g[5], co = g[6], oh = g[7], ow = g[8];
  Cached c;
  c.src = memory::desc({n, ci, h, w}, memory::data_type::f32, memory::format_tag::nhwc);
  c.wei = memory::desc({co, ci, kh, kw}, memory::data_type::f32, memory::format_tag::hwio);
  c.dst = memory::desc({n, co, oh, ow}, memory::data_type::f32, memory::format_tag::nhwc);
  c.bias = memory::desc({co}, memory::data_type::f32, memory::format_tag::x);
  const memory::dims strides{g[9], g[10]}, padL{g[11], g[13]}, padR{g[12], g[14]};
  engine& eng = state().eng;
  auto fd = bias ? convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, c.src, c.wei, c.bias, c.dst, strides, padL, padR)
                 : convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, c.src, c.wei, c.dst, strides, padL, padR);
  primitive_attr attr;
  if (relu) {
    post_ops ops;
    ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  auto fpd = convolution_forward::primitive_desc(fd, attr, eng);
  if (kind == kForward) {
    c.prim.reset(new convolution_forward(fpd));
  } else if (kind == kBackwardData) {
    auto bd = convolution_backward_data::desc(algorithm::convolution_direct, c.src, c.wei, c.dst, strides, padL, padR);
    c.prim.reset(new convolution_backward_data(convolution_backward_data::primitive_desc(bd, eng, fpd)));
  } else {
    auto bd = convolution_backward_weights::desc(algorithm::convolution_direct, c.src, c.wei, c.dst, strides, padL, padR);
    c.prim.reset(new convolution_backward_weights(convolution_backward_weights::primitive_desc(bd, eng, fpd)));
  }
  return c;
}

// conv(kind, a, b, c, bias | null, geometry[15], relu)
//   kind 0 forward:          a = x (in),  b = filter (in),  c = y (out); bias and relu optional
//   kind 1 backward data:    a = dx (out), b = filter (in), c = dy (in)
//   kind 2 backward weights: a = x (in),  b = dW (out),     c = dy (in)
napi_value Conv(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 7) return fail(env, "conv expects 7 arguments"), nullptr;
  int32_t kind;
  if (napi_get_value_int32(env, argv[0], &kind) != napi_ok || kind < 0 || kind > 2) return fail(env, "kind must be 0, 1 or 2"), nullptr;
  int64_t g[kGeom];
  for (uint32_t i = 0; i < kGeom; i++) {
    napi_value e;
    if (napi_get_element(env, argv[5], i, &e) != napi_ok || napi_get_value_int64(env, e, &g[i]) != napi_ok) return fail(env, "geometry must hold 15 integers"), nullptr;
  }
  napi_valuetype bt;
  napi_typeof(env, argv[4], &bt);
  const bool hasBias = bt != napi_null && bt != napi_undefined;
  bool relu = false;
  napi_get_value_bool(env, argv[6], &relu);
  if (kind != kForward && (hasBias || relu)) return fail(env, "bias and relu apply to the forward conv only"), nullptr;
  float *a, *b, *c, *bias = nullptr;
  if (!floats(env, argv[1], size_t(g[0] * g[1] * g[2] * g[3]), kind == kBackwardData ? "dx" : "x", &a)) return nullptr;
  if (!floats(env, argv[2], size_t(g[4] * g[5] * g[3] * g[6]), kind == kBackwardWeights ? "dW" : "filter", &b)) return nullptr;
  if (!floats(env, argv[3], size_t(g[0] * g[7] * g[8] * g[6]), kind == kForward ? "y" : "dy", &c)) return nullptr;
  if (hasBias && !floats(env, argv[4], size_t(g[6]), "bias", &bias)) return nullptr;

  // One thread per call: training already runs one JS thread per core, and a fixed count keeps the
  // sums in the same order run after run (the weight gradient's reduction is split by thread).
  omp_set_num_threads(1);
  std::string key = std::to_string(kind) + (hasBias ? "b" : "") + (relu ? "r" : "");
  for (int i = 0; i < kGeom; i++) key += "," + std::to_string(g[i]);
  ThreadState& s = state();
  try {
    auto it = s.cache.find(key);
    if (it == s.cache.end()) it = s.cache.emplace(key, make(g, kind, hasBias, relu)).first;
    Cached& p = it->second;
    memory ma(p.src, s.eng, a), mb(p.wei, s.eng, b), mc(p.dst, s.eng, c);
    if (kind == kForward) {
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
      if (hasBias) args.insert({DNNL_ARG_BIAS, memory(p.bias, s.eng, bias)});
      p.prim->execute(s.strm, args);
    } else if (kind == kBackwardData) {
      p.prim->execute(s.strm, {{DNNL_ARG_DIFF_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DIFF_DST, mc}});
    } else {
      p.prim->execute(s.strm, {{DNNL_ARG_SRC, ma}, {DNNL_ARG_DIFF_WEIGHTS, mb}, {DNNL_ARG_DIFF_DST, mc}});
    }
    s.strm.wait();
  } catch (const dnnl::error& e) {
    return fail(env, std::string(e.what()) + " (status " + std::to_string(int(e.status)) + ", geometry " + key + ")"), nullptr;
  }
  return nullptr;
}

napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  std::string s = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  napi_value out;
  napi_create_string_utf8(env, s.c_str(), s.size(), &out);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "conv", NAPI_AUTO_LENGTH, Conv, nullptr, &fn);
  napi_set_named_property(env, exports, "conv", fn);
  napi_create_function(env, "version", NAPI_AUTO_LENGTH, Version, nullptr, &fn);
  napi_set_named_property(env, exports, "version", fn);
  return exports;
}
