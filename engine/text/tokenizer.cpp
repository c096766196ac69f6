// Encoding and decoding: HF's pipeline order is added-token split on the raw text,
// normalization of each remaining segment, added-token split on the normalized text,
// pre-tokenization, the BPE model per pre-token, then the post-processor's specials.
#include "engine/text/tokenizer.h"

#include "engine/text/tokenizer_impl.h"
#include "engine/text/utf8.h"

namespace arecipe {
namespace {

void encode_plain(const Tokenizer::Impl& impl, std::string text, bool at_input_start,
                  std::vector<int64_t>& ids) {
  if (text.empty()) return;
  if (impl.normalizer) impl.normalizer->normalize(text);
  std::vector<text::PreToken> pieces;
  if (impl.normalized_matcher.empty()) {
    pieces.push_back({std::move(text), at_input_start});
  } else {
    std::vector<text::AddedTokenMatcher::Segment> segs;
    impl.normalized_matcher.split(text, segs);
    for (const auto& s : segs) {
      if (s.token_id >= 0) {
        // Tokens found after normalization end the current run of plain pieces.
        if (!pieces.empty()) {
          if (impl.pre_tokenizer) impl.pre_tokenizer->pre_tokenize(pieces);
          for (const auto& p : pieces) impl.model->tokenize(p.text, ids);
          pieces.clear();
        }
        ids.push_back(s.token_id);
      } else {
        pieces.push_back({text.substr(s.begin, s.end - s.begin), at_input_start && s.begin == 0});
      }
    }
  }
  if (pieces.empty()) return;
  if (impl.pre_tokenizer) impl.pre_tokenizer->pre_tokenize(pieces);
  for (const auto& p : pieces) impl.model->tokenize(p.text, ids);
}

}  // namespace

std::vector<int64_t> Tokenizer::encode(const std::string& raw, bool add_special_tokens) const {
  const Impl& impl = *impl_;
  const std::string input = text::sanitize_utf8(raw);
  std::vector<int64_t> ids;
  ids.reserve(input.size() / 3 + 8);
  if (add_special_tokens) ids = impl.frame.prefix;
  if (impl.raw_matcher.empty()) {
    encode_plain(impl, input, true, ids);
  } else {
    std::vector<text::AddedTokenMatcher::Segment> segs;
    impl.raw_matcher.split(input, segs);
    for (const auto& s : segs) {
      if (s.token_id >= 0) ids.push_back(s.token_id);
      else encode_plain(impl, input.substr(s.begin, s.end - s.begin), s.begin == 0, ids);
    }
  }
  if (add_special_tokens) ids.insert(ids.end(), impl.frame.suffix.begin(), impl.frame.suffix.end());
  return ids;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  const Impl& impl = *impl_;
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int64_t id : ids) {
    const auto added = impl.added_by_id.find(id);
    if (added != impl.added_by_id.end()) {
      const auto& a = impl.added[added->second];
      if (skip_special_tokens && a.special) continue;
      tokens.push_back(a.content);
      continue;
    }
    // Ids outside the vocabulary are skipped, as HF does.
    if (const std::string* t = impl.model->id_to_token(id)) tokens.push_back(*t);
  }
  if (!impl.decoder) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  impl.decoder->decode_chain(tokens);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

std::optional<int64_t> Tokenizer::bos_id() const { return impl_->bos_id; }
std::optional<int64_t> Tokenizer::eos_id() const { return impl_->eos_id; }
std::optional<int64_t> Tokenizer::pad_id() const { return impl_->pad_id; }
bool Tokenizer::adds_bos() const {
  return impl_->bos_id && !impl_->frame.prefix.empty() && impl_->frame.prefix.front() == *impl_->bos_id;
}
bool Tokenizer::adds_eos() const {
  return impl_->eos_id && !impl_->frame.suffix.empty() && impl_->frame.suffix.back() == *impl_->eos_id;
}
int64_t Tokenizer::vocab_size() const { return impl_->vocab_size; }
const std::vector<int64_t>& Tokenizer::special_prefix() const { return impl_->frame.prefix; }
const std::vector<int64_t>& Tokenizer::special_suffix() const { return impl_->frame.suffix; }
std::optional<int64_t> Tokenizer::token_to_id(const std::string& token) const { return impl_->token_to_id(token); }
const std::optional<std::string>& Tokenizer::chat_template() const { return impl_->chat_template; }
std::optional<std::string> Tokenizer::bos_token() const { return impl_->bos_token; }
std::optional<std::string> Tokenizer::eos_token() const { return impl_->eos_token; }
const std::string& Tokenizer::source() const { return impl_->source; }

}  // namespace arecipe
