#include "exporters/gguf/mixture.h"

#include <algorithm>
#include <cctype>

#include "engine/util/error.h"

namespace arecipe::gguf {

using ggml::Type;

namespace {

const std::vector<Mixture>& mixtures() {
  static const std::vector<Mixture> m = {
      {"f32", 0, Type::F32},      {"f16", 1, Type::F16},      {"q4_0", 2, Type::Q4_0},    {"q4_1", 3, Type::Q4_1},
      {"q8_0", 7, Type::Q8_0},    {"q5_0", 8, Type::Q5_0},    {"q5_1", 9, Type::Q5_1},    {"q2_k", 10, Type::Q2_K},
      {"q3_k_s", 11, Type::Q3_K}, {"q3_k_m", 12, Type::Q3_K}, {"q3_k_l", 13, Type::Q3_K}, {"q4_k_s", 14, Type::Q4_K},
      {"q4_k_m", 15, Type::Q4_K}, {"q5_k_s", 16, Type::Q5_K}, {"q5_k_m", 17, Type::Q5_K}, {"q6_k", 18, Type::Q6_K},
      {"q2_k_s", 21, Type::Q2_K}, {"bf16", 32, Type::BF16},
  };
  return m;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool contains(const std::string& s, const char* sub) { return s.find(sub) != std::string::npos; }

int layer_index(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return -1;
  return std::atoi(name.c_str() + 4);
}

// i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2, integer division as upstream.
bool more_bits(int64_t i, int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

}  // namespace

std::optional<Mixture> parse_mixture(const std::string& name) {
  std::string l = lower(name);
  if (l.rfind("gguf:", 0) == 0) l = l.substr(5);  // the recipe spelling, export: [gguf:q4_k_m]
  for (const Mixture& m : mixtures())
    if (m.name == l) return m;
  return std::nullopt;
}

std::string mixture_names() {
  std::string s;
  for (const Mixture& m : mixtures()) s += (s.empty() ? "" : ", ") + m.name;
  return s;
}

TypeOverride parse_override(const std::string& spec) {
  const size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw Error("tensor type override '" + spec + "' must be PATTERN=TYPE (e.g. attn_v=q8_0)");
  const auto t = ggml::parse_type(spec.substr(eq + 1));
  if (!t) throw Error("tensor type override '" + spec + "': unknown type '" + spec.substr(eq + 1) + "'");
  const std::string pat = lower(spec.substr(0, eq));
  try {
    std::regex r(pat);
  } catch (const std::regex_error& e) {
    throw Error("tensor type override '" + spec + "': bad regex: " + e.what());
  }
  return {pat, *t};
}

TypeChooser::TypeChooser(Mixture m, ModelShape shape, bool has_imatrix, std::vector<TypeOverride> overrides)
    : m_(std::move(m)), s_(shape), imatrix_(has_imatrix) {
  for (const TypeOverride& o : overrides) overrides_.emplace_back(std::regex(o.pattern), o.type);
}

bool TypeChooser::quantizable(const std::string& name, size_t n_dims) {
  if (n_dims < 2) return false;
  if (name.size() < 6 || name.compare(name.size() - 6, 6, "weight") != 0) return false;
  return !contains(name, "_norm.weight") && !contains(name, "ffn_gate_inp.weight");
}

Type shape_fallback(Type t, int64_t ne0) {
  if (ne0 % ggml::info(t).block_elems == 0) return t;
  Type f = t;
  switch (t) {
    case Type::Q2_K: case Type::Q3_K: f = Type::Q4_0; break;
    case Type::Q4_K: f = Type::Q5_0; break;
    case Type::Q5_K: f = Type::Q5_1; break;
    case Type::Q6_K: f = Type::Q8_0; break;
    default: break;
  }
  return ne0 % ggml::info(f).block_elems == 0 ? f : Type::F16;
}

Type TypeChooser::rules(const std::string& name) const {
  const std::string& f = m_.name;
  Type t = m_.base;
  const int64_t n = s_.n_layer;
  const int64_t gqa = s_.n_head_kv ? s_.n_head / s_.n_head_kv : 1;
  const bool is70b = s_.n_layer == 80 && s_.n_head != s_.n_head_kv;
  const bool output = name == "output.weight";
  const bool embd = name == "token_embd.weight";
  if (output || (s_.tied_embeddings && embd)) return t == Type::Q8_0 ? Type::Q8_0 : Type::Q6_K;  // ne0 check in choose()
  if (embd) return t;
  const int64_t i = layer_index(name);
  if (contains(name, "attn_qkv.weight") || contains(name, "attn_kv_b.weight") || contains(name, "attn_v.weight")) {
    if (f == "q2_k") t = gqa >= 4 ? Type::Q4_K : Type::Q3_K;
    else if (f == "q2_k_s" && gqa >= 4) t = Type::Q4_K;
    else if (f == "q3_k_m") t = i < 2 ? Type::Q5_K : Type::Q4_K;
    else if (f == "q3_k_l") t = Type::Q5_K;
    else if ((f == "q4_k_m" || f == "q5_k_m") && more_bits(i, n)) t = Type::Q6_K;
    else if (f == "q4_k_s" && i < 4) t = Type::Q5_K;
    if (is70b && (t == Type::Q3_K || t == Type::Q4_K)) t = Type::Q5_K;
    return t;
  }
  if (contains(name, "ffn_down")) {
    if (f == "q2_k") t = Type::Q3_K;
    else if (f == "q2_k_s") { if (i < n / 8) t = Type::Q4_K; }
    else if (f == "q3_k_m") t = i < n / 16 ? Type::Q5_K : Type::Q4_K;
    else if (f == "q3_k_l") t = Type::Q5_K;
    else if (f == "q4_k_m") { if (more_bits(i, n)) t = Type::Q6_K; }
    else if (f == "q5_k_m" && more_bits(i, n)) t = Type::Q6_K;
    else if (f == "q4_k_s" && i < n / 8) t = Type::Q5_K;
    else if ((f == "q4_0" || f == "q5_0") && imatrix_ && i < n / 8) t = f == "q4_0" ? Type::Q4_1 : Type::Q5_1;
    return t;
  }
  if (contains(name, "attn_output.weight")) {
    if (f == "q2_k") t = Type::Q3_K;
    else if (f == "q3_k_m") t = Type::Q4_K;
    else if (f == "q3_k_l") t = Type::Q5_K;
    return t;
  }
  return t;
}

Type TypeChooser::choose(const std::string& name, int64_t ne0) const {
  if (!ggml::info(m_.base).quantized) return m_.base;
  for (const auto& [re, t] : overrides_)
    if (std::regex_search(name, re)) return shape_fallback(t, ne0);
  Type t = rules(name);
  // output (and tied token_embd) go to Q8_0 when the row is not a multiple of Q6_K's block.
  const bool out_like = name == "output.weight" || (s_.tied_embeddings && name == "token_embd.weight");
  if (out_like && ne0 % ggml::info(m_.base).block_elems != 0) t = Type::Q8_0;
  return shape_fallback(t, ne0);
}

bool TypeChooser::requires_imatrix(const std::string& name, Type t) const {
  if (name == "token_embd.weight" || name == "output.weight") return false;
  return t == Type::Q2_K && m_.name == "q2_k_s";
}

}  // namespace arecipe::gguf
