#include "engine/text/bpe.h"

#include <cstdio>
#include <queue>

#include "engine/text/utf8.h"
#include "engine/util/error.h"

namespace arecipe::text {

BpeModel::BpeModel(std::unordered_map<std::string, int64_t> vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges,
                   BpeOptions options, const std::string& where)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  int64_t limit = 0;
  for (const auto& [token, id] : vocab_) {
    if (id < 0 || id > INT32_MAX) fail(where, "vocabulary id out of range for '" + token + "'");
    limit = std::max(limit, id + 1);
  }
  id_to_token_.resize(limit);
  id_known_.assign(limit, false);
  for (const auto& [token, id] : vocab_) {
    id_to_token_[id] = token;
    id_known_[id] = true;
  }
  merges_.reserve(merges.size() * 2);
  const size_t prefix_len = options_.continuing_subword_prefix.size();
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    const auto ia = vocab_.find(a), ib = vocab_.find(b);
    if (ia == vocab_.end() || ib == vocab_.end())
      fail(where, "merge " + std::to_string(rank + 1) + " ('" + a + "' '" + b +
                      "') names a token missing from the vocabulary");
    // With a continuing-subword prefix, the right part's prefix is dropped when merging.
    const std::string merged =
        a + (prefix_len && b.compare(0, prefix_len, options_.continuing_subword_prefix) == 0
                 ? b.substr(prefix_len)
                 : b);
    const auto im = vocab_.find(merged);
    if (im == vocab_.end())
      fail(where, "merge " + std::to_string(rank + 1) + " ('" + a + "' '" + b + "') produces '" +
                      merged + "', which is missing from the vocabulary");
    // A repeated pair takes its last rank and id: HF collects the merges into a map in
    // order, so later entries overwrite earlier ones.
    merges_[pair_key(ia->second, ib->second)] = {static_cast<int32_t>(rank),
                                                 static_cast<int32_t>(im->second)};
  }
  if (options_.unk_token) {
    const auto it = vocab_.find(*options_.unk_token);
    if (it != vocab_.end()) unk_id_ = it->second;
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    const auto it = vocab_.find(name);
    byte_fallback_ids_[b] = it == vocab_.end() ? -1 : it->second;
  }
  for (int c = 0; c < 128; ++c) {
    const auto it = vocab_.find(std::string(1, static_cast<char>(c)));
    ascii_ids_[c] = it == vocab_.end() ? -1 : it->second;
  }
}

std::optional<int64_t> BpeModel::token_to_id(const std::string& token) const {
  const auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int64_t id) const {
  if (id < 0 || id >= id_limit() || !id_known_[id]) return nullptr;
  return &id_to_token_[id];
}

void BpeModel::tokenize(std::string_view word, std::vector<int64_t>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    const auto it = vocab_.find(std::string(word));
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() <= kMaxCachedWordBytes;
  std::string key;
  if (cacheable) {
    key.assign(word);
    std::lock_guard<std::mutex> lock(cache_mutex_);
    const auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t before = out.size();
  merge_word(word, out);
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kCacheCapacity) cache_.clear();
    cache_.emplace(std::move(key), std::vector<int64_t>(out.begin() + before, out.end()));
  }
}

// HF's BPE::merge_word followed by Word::merge_all, step for step.
void BpeModel::merge_word(std::string_view word, std::vector<int64_t>& out) const {
  struct Symbol {
    int64_t id;
    int32_t prev, next;
    uint32_t len;  // 0 once merged into its left neighbour
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto add = [&](int64_t id, size_t len) {
    const auto n = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, n - 1, n + 1, static_cast<uint32_t>(len)});
  };

  // An unknown run waiting to be emitted (HF fuses consecutive unknowns when fuse_unk).
  int64_t unk_pending_id = -1;
  size_t unk_pending_len = 0;
  auto flush_unk = [&] {
    if (unk_pending_id >= 0) add(unk_pending_id, unk_pending_len);
    unk_pending_id = -1;
  };
  size_t pos = 0;
  std::string piece;
  while (pos < word.size()) {
    const size_t start = pos;
    const auto lead = static_cast<unsigned char>(word[pos]);
    pos += std::min(utf8_length(lead), word.size() - pos);
    const bool is_first = start == 0, is_last = pos == word.size();
    const size_t byte_len = pos - start;
    int64_t id = -1;
    const bool decorated = (!is_first && !options_.continuing_subword_prefix.empty()) ||
                           (is_last && !options_.end_of_word_suffix.empty());
    if (!decorated && byte_len == 1 && lead < 128) {
      id = ascii_ids_[lead];
      if (id < 0) piece.assign(1, static_cast<char>(lead));
    } else {
      piece.clear();
      if (!is_first) piece += options_.continuing_subword_prefix;
      piece.append(word.substr(start, byte_len));
      if (is_last) piece += options_.end_of_word_suffix;
      const auto it = vocab_.find(piece);
      if (it != vocab_.end()) id = it->second;
    }
    if (id >= 0) {
      flush_unk();
      add(id, byte_len);
      continue;
    }
    if (options_.byte_fallback) {
      bool all = true;
      for (unsigned char b : piece) all = all && byte_fallback_ids_[b] >= 0;
      if (all) {
        // HF emits these without flushing a pending unk first; so do we.
        for (unsigned char b : piece) add(byte_fallback_ids_[b], 1);
        continue;
      }
    }
    if (unk_id_) {
      if (unk_pending_id >= 0 && options_.fuse_unk) {
        unk_pending_len += byte_len;
      } else {
        flush_unk();
        unk_pending_id = *unk_id_;
        unk_pending_len = byte_len;
      }
    }
    // No unk token: HF silently drops the character; so do we (there is nothing to emit).
  }
  flush_unk();
  if (symbols.empty()) return;
  symbols.back().next = -1;

  struct Merge {
    size_t pos;
    int32_t rank;
    int64_t new_id;
  };
  auto worse = [](const Merge& a, const Merge& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  };
  std::priority_queue<Merge, std::vector<Merge>, decltype(worse)> queue(worse);
  auto lookup = [&](int64_t a, int64_t b) -> const MergeTarget* {
    const auto it = merges_.find(pair_key(a, b));
    return it == merges_.end() ? nullptr : &it->second;
  };
  for (size_t i = 0; i + 1 < symbols.size(); ++i)
    if (const auto* m = lookup(symbols[i].id, symbols[i + 1].id)) queue.push({i, m->rank, m->new_id});

  while (!queue.empty()) {
    const Merge top = queue.top();
    queue.pop();
    Symbol& cur = symbols[top.pos];
    if (cur.len == 0 || cur.next == -1) continue;
    const auto next_pos = static_cast<size_t>(cur.next);
    const Symbol right = symbols[next_pos];
    const auto* still = lookup(cur.id, right.id);
    if (!still || still->new_id != top.new_id) continue;  // an expired queue entry
    cur.id = top.new_id;
    cur.len += right.len;
    cur.next = right.next;
    symbols[next_pos].len = 0;
    if (right.next > -1 && static_cast<size_t>(right.next) < symbols.size())
      symbols[right.next].prev = static_cast<int32_t>(top.pos);
    if (cur.prev >= 0)
      if (const auto* m = lookup(symbols[cur.prev].id, cur.id))
        queue.push({static_cast<size_t>(cur.prev), m->rank, m->new_id});
    if (cur.next >= 0 && static_cast<size_t>(cur.next) < symbols.size())
      if (const auto* m = lookup(cur.id, symbols[cur.next].id)) queue.push({top.pos, m->rank, m->new_id});
  }
  for (const auto& s : symbols)
    if (s.len != 0) out.push_back(s.id);
}

}  // namespace arecipe::text
