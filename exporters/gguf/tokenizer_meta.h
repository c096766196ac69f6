// tokenizer.json -> GGUF tokenizer metadata (gguf-spec.md section 4).
//  - byte-level BPE (ByteLevel pre-tokenizer): tokenizer.ggml.model "gpt2", `pre` chosen
//    from the Split regex (qwen2, llama-bpe) or "gpt-2" for the plain GPT-2 pattern,
//    tokens and merges in the GPT-2 byte alphabet exactly as tokenizer.json holds them;
//  - SentencePiece-style BPE (byte_fallback / metaspace pieces): model "llama", pre
//    "default", scores and token types. tokenizer.json carries no SentencePiece scores,
//    so a token's score is minus the rank of the first merge that creates it (what
//    llama.cpp's SPM merge loop needs to reproduce the BPE merge order), 0 for pieces no
//    merge creates, -1000 for special and padding tokens.
// Ids the vocabulary lacks up to n_vocab become "[PAD<id>]" (UNUSED).
#pragma once
#include <string>

#include "engine/io/gguf_format.h"

namespace arecipe::gguf {

// Throws Error naming the file for tokenizers GGUF cannot express (non-BPE models,
// unknown pre-tokenizer regex, duplicate token strings, a vocabulary over n_vocab).
Metadata tokenizer_metadata(const std::string& model_dir, int64_t n_vocab);

}  // namespace arecipe::gguf
