// llama-quantize's per-tensor type choice (gguf-spec.md section 9, llama_tensor_get_type
// for dense models): the mixture names arecipe accepts, their llama_ftype codes, and the
// rules that bump attn_v / ffn_down / attn_output / output / token_embd, then the shape
// fallback for rows that are not a whole number of blocks. Per-tensor overrides
// (regex search on the GGUF name, first match wins) replace the mixture rules, as
// llama-quantize's --tensor-type does.
#pragma once
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "schemes/ggml/ggml_type.h"

namespace arecipe::gguf {

struct Mixture {
  std::string name;      // "q4_k_m", "f16", ...
  uint32_t file_type;    // general.file_type (llama_ftype)
  ggml::Type base;       // default tensor type
};

// Case-insensitive: q2_k, q2_k_s, q3_k_s, q3_k_m, q3_k_l, q4_k_s, q4_k_m, q5_k_s, q5_k_m,
// q6_k, q4_0, q4_1, q5_0, q5_1, q8_0, f16, bf16, f32, optionally prefixed "gguf:".
// nullopt otherwise.
std::optional<Mixture> parse_mixture(const std::string& name);
std::string mixture_names();  // for messages

struct TypeOverride {
  std::string pattern;  // ECMAScript regex, searched in the GGUF tensor name
  ggml::Type type;
};

// Parses "PATTERN=TYPE" (pattern lowercased, as llama-quantize does). Throws Error.
TypeOverride parse_override(const std::string& spec);

struct ModelShape {
  int64_t n_layer = 0, n_head = 0, n_head_kv = 0;
  bool tied_embeddings = false;  // no output.weight
};

class TypeChooser {
 public:
  TypeChooser(Mixture m, ModelShape shape, bool has_imatrix, std::vector<TypeOverride> overrides);
  // Whether llama-quantize quantizes this tensor at all (2-D+ weights, not norms...).
  static bool quantizable(const std::string& name, size_t n_dims);
  // The type a quantizable tensor gets; `ne0` is its row length.
  ggml::Type choose(const std::string& name, int64_t ne0) const;
  // Whether llama-quantize would demand an imatrix for this tensor (Q2_K in Q2_K_S).
  bool requires_imatrix(const std::string& name, ggml::Type t) const;
  const Mixture& mixture() const { return m_; }

 private:
  ggml::Type rules(const std::string& name) const;
  Mixture m_;
  ModelShape s_;
  bool imatrix_;
  std::vector<std::pair<std::regex, ggml::Type>> overrides_;
};

// Row-length fallback: Q2_K/Q3_K -> Q4_0, Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, then
// F16 if the row is still not a whole number of blocks.
ggml::Type shape_fallback(ggml::Type t, int64_t ne0);

}  // namespace arecipe::gguf
