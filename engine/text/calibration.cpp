#include "engine/text/calibration.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "engine/text/chat_template.h"
#include "engine/text/rng.h"
#include "engine/text/unicode.h"
#include "engine/text/utf8.h"
#include "engine/util/error.h"

namespace arecipe::text {
namespace {

constexpr size_t kAll = static_cast<size_t>(-1);

// Python's str.rstrip(): drops trailing characters for which str.isspace() is true.
std::string python_rstrip(const std::string& s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end;
    do {
      --start;
    } while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80);
    size_t p = start;
    if (!is_python_space(decode_utf8_at(s, p))) break;
    end = start;
  }
  return s.substr(0, end);
}

// Python slice bounds: negative counts from the end, then clamped to [0, n].
size_t py_index(int64_t i, size_t n) {
  if (i < 0) i += static_cast<int64_t>(n);
  return static_cast<size_t>(std::clamp<int64_t>(i, 0, static_cast<int64_t>(n)));
}

// Python's // for the share arithmetic (operands may be negative there).
int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// upstream filter_func: true when a sample is kept; counts the reason otherwise.
bool passes_filter(const std::vector<int64_t>& ids, size_t seqlen, SourceReport& r) {
  if (ids.size() < seqlen) {
    ++r.dropped_short;
    return false;
  }
  const size_t n = std::min(ids.size(), seqlen);
  const int64_t last = ids[n - 1];
  const auto repeats = static_cast<size_t>(std::count(ids.begin(), ids.begin() + n, last));
  if (n > 1 && seqlen > 2 && repeats > seqlen / 2) {
    ++r.dropped_repetitive;
    return false;
  }
  ++r.kept;
  return true;
}

// upstream concat_dataset_element, step for step. Note that os_cnt is never reset there:
// with a tokenizer that adds BOS (or EOS) every document adds one to it, so chunks after
// the first come out shorter than seqlen and the length filter drops them. We reproduce
// that; empty documents (which crash upstream) are skipped.
class ConcatChunker {
 public:
  ConcatChunker(size_t seqlen, std::optional<int64_t> bos, std::optional<int64_t> eos)
      : seqlen_(static_cast<int64_t>(seqlen)), bos_(bos), eos_(eos) {}

  void add(std::vector<int64_t> ids, std::vector<std::vector<int64_t>>& chunks) {
    if (!ids.empty() && bos_ && ids.front() == *bos_) {
      ids.erase(ids.begin());
      ++os_cnt_;
      have_bos_ = true;
    }
    if (!ids.empty() && eos_ && ids.back() == *eos_) {
      ids.pop_back();
      ++os_cnt_;
      have_eos_ = true;
    }
    const auto buffered = static_cast<int64_t>(buffer_.size());
    if (buffered + static_cast<int64_t>(ids.size()) + os_cnt_ > seqlen_) {
      const int64_t keep = seqlen_ - buffered - os_cnt_;
      const size_t cut = py_index(keep, ids.size());
      std::vector<int64_t> body = buffer_;
      body.insert(body.end(), ids.begin(), ids.begin() + cut);
      chunks.push_back(frame(std::move(body)));
      buffer_.assign(ids.begin() + cut, ids.end());
    } else {
      buffer_.insert(buffer_.end(), ids.begin(), ids.end());
    }
    if (static_cast<int64_t>(buffer_.size()) + os_cnt_ == seqlen_) {
      chunks.push_back(frame(std::move(buffer_)));
      buffer_.clear();
    }
  }

 private:
  std::vector<int64_t> frame(std::vector<int64_t> body) const {
    if (have_bos_) body.insert(body.begin(), *bos_);
    if (have_eos_) body.push_back(*eos_);
    return body;
  }
  int64_t seqlen_;
  std::optional<int64_t> bos_, eos_;
  int64_t os_cnt_ = 0;
  bool have_bos_ = false, have_eos_ = false;
  std::vector<int64_t> buffer_;
};

// The text a document is tokenized as (upstream apply_chat_template_to_samples for chat).
std::string document_text(const Tokenizer& tok, const Document& doc, const CalibrationSource& src) {
  if (!src.apply_chat_template) {
    if (!doc.is_chat()) return doc.text;
    // Chat records without a template: their contents joined, as upstream's ultrachat
    // loader does when it does not apply the template.
    std::string joined;
    for (const auto& m : doc.messages) joined += m.content;
    return joined;
  }
  std::vector<ChatMessage> messages;
  if (!src.system_prompt.empty()) messages.push_back({"system", src.system_prompt});
  if (doc.is_chat()) messages.insert(messages.end(), doc.messages.begin(), doc.messages.end());
  else messages.push_back({"user", doc.text});
  try {
    return apply_chat_template(tok, messages, true);
  } catch (const ChatTemplateRejected&) {
    // Upstream retries without system messages when the template refuses them.
    std::vector<ChatMessage> without;
    for (const auto& m : messages)
      if (m.role != "system") without.push_back(m);
    return apply_chat_template(tok, without, true);
  }
}

struct SourceSamples {
  std::vector<std::vector<int64_t>> samples;
  SourceReport report;
};

// Steps 1-6 for one source; stops once `need` samples passed the filter.
SourceSamples sample_source(const Tokenizer& tok, const CalibrationSource& src, const CalibrationOptions& opt,
                            size_t need) {
  SourceSamples out;
  out.report.path = src.path;
  std::vector<Document> docs;
  if (src.files.empty()) docs = load_documents(src.path, src.format);
  for (const std::string& f : src.files) {
    std::vector<Document> more = load_documents(f, src.format);
    docs.insert(docs.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  out.report.documents = docs.size();
  if (docs.empty()) fail(src.path, "calibration source holds no documents");
  if (src.apply_chat_template && !tok.chat_template())
    fail(src.path, "apply_chat_template is set but " + tok.source() + " has no chat_template");
  for (auto& d : docs)
    if (!d.is_chat()) d.text = python_rstrip(d.text);
  PythonRandom(opt.seed).shuffle(docs);

  ConcatChunker chunker(opt.seqlen, tok.bos_id(), tok.eos_id());
  std::vector<std::vector<int64_t>> pending;
  for (const auto& doc : docs) {
    if (out.samples.size() >= need) break;
    ++out.report.examined;
    std::vector<int64_t> ids = encode_truncated(tok, document_text(tok, doc, src), opt.seqlen);
    pending.clear();
    if (src.concat) {
      if (ids.empty()) {
        ++out.report.empty;
        continue;
      }
      chunker.add(std::move(ids), pending);
      out.report.chunks += pending.size();
    } else {
      pending.push_back(std::move(ids));
    }
    for (auto& s : pending) {
      if (out.samples.size() >= need) break;
      if (passes_filter(s, opt.seqlen, out.report)) out.samples.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace

std::vector<int64_t> encode_truncated(const Tokenizer& tok, const std::string& text, size_t max_length) {
  std::vector<int64_t> body = tok.encode(text, false);
  const auto& prefix = tok.special_prefix();
  const auto& suffix = tok.special_suffix();
  const size_t specials = prefix.size() + suffix.size();
  const size_t budget = max_length > specials ? max_length - specials : 0;
  if (body.size() > budget) body.resize(budget);
  std::vector<int64_t> ids = prefix;
  ids.insert(ids.end(), body.begin(), body.end());
  ids.insert(ids.end(), suffix.begin(), suffix.end());
  return ids;
}

CalibrationSet build_calibration_set(const Tokenizer& tok, const CalibrationOptions& opt) {
  if (opt.sources.empty()) fail("calibration", "no calibration sources given");
  if (opt.nsamples == 0) fail("calibration", "nsamples must be positive");
  if (opt.seqlen == 0) fail("calibration", "seqlen must be positive");
  CalibrationSet result;
  result.report.requested = opt.nsamples;

  // Sources with num=N (upstream's data_lens, keyed by path).
  std::map<std::string, size_t> shares;
  for (const auto& s : opt.sources)
    if (s.num) shares[s.path] = *s.num;

  const bool single = opt.sources.size() == 1;
  std::vector<SourceSamples> per_source;
  for (const auto& s : opt.sources) {
    // Only as many as can be used: a single source contributes at most nsamples, a source
    // with a share at most that share; other sources of a mix need their full count,
    // which decides the mixing order.
    size_t need = kAll;
    if (s.num) need = *s.num;
    if (single) need = std::min(need, opt.nsamples);
    per_source.push_back(sample_source(tok, s, opt, need));
  }

  std::vector<std::vector<int64_t>> final_set;
  if (single) {
    final_set = std::move(per_source[0].samples);
  } else {
    // Upstream: sort sources by sample count (stable), allot shares, concatenate in that
    // order, then shuffle the whole with HF datasets' shuffle (NumPy PCG64 permutation).
    std::vector<size_t> order(per_source.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return per_source[a].samples.size() < per_source[b].samples.size();
    });
    int64_t cnt = 0;
    for (const auto& [path, n] : shares) cnt += static_cast<int64_t>(n);
    const auto nsamples = static_cast<int64_t>(opt.nsamples);
    if (cnt > nsamples) cnt = 0;
    const auto n_sets = static_cast<int64_t>(per_source.size());
    const auto n_shares = static_cast<int64_t>(shares.size());
    std::vector<std::vector<int64_t>> mixed;
    for (size_t p = 0; p < order.size(); ++p) {
      auto& src = per_source[order[p]];
      const auto have = static_cast<int64_t>(src.samples.size());
      int64_t target;
      const auto share = shares.find(opt.sources[order[p]].path);
      if (share == shares.end()) {
        target = n_shares ? floor_div(nsamples - cnt, n_sets - n_shares)
                          : floor_div(nsamples - cnt, n_sets - static_cast<int64_t>(p));
        target = std::min(target, have);
        cnt += target;
      } else {
        target = static_cast<int64_t>(share->second);
      }
      const size_t take = static_cast<size_t>(std::clamp<int64_t>(target, 0, have));
      src.report.selected = take;
      for (size_t k = 0; k < take; ++k) mixed.push_back(std::move(src.samples[k]));
    }
    const auto perm = numpy_permutation(opt.seed, mixed.size());
    final_set.reserve(mixed.size());
    for (int64_t i : perm) final_set.push_back(std::move(mixed[static_cast<size_t>(i)]));
  }
  if (final_set.size() > opt.nsamples) final_set.resize(opt.nsamples);
  if (single) per_source[0].report.selected = final_set.size();

  for (auto& s : per_source) result.report.sources.push_back(std::move(s.report));
  result.report.produced = final_set.size();
  result.samples = std::move(final_set);
  if (result.samples.empty())
    fail(opt.sources[0].path, "no usable calibration sample of " + std::to_string(opt.seqlen) +
                                  " tokens: " + result.report.summary());
  if (result.samples.size() < opt.nsamples) {
    result.report.warnings.push_back("only " + std::to_string(result.samples.size()) + " of " +
                                     std::to_string(opt.nsamples) + " requested calibration samples of " +
                                     std::to_string(opt.seqlen) + " tokens: " + result.report.summary());
  }
  return result;
}

std::string CalibrationReport::summary() const {
  std::ostringstream s;
  for (size_t i = 0; i < sources.size(); ++i) {
    const auto& r = sources[i];
    if (i) s << "; ";
    s << r.path << ": " << r.documents << " documents, " << r.examined << " tokenized";
    if (r.chunks) s << ", " << r.chunks << " concatenated chunks";
    if (r.empty) s << ", " << r.empty << " empty";
    s << ", " << r.dropped_short << " dropped as shorter than seqlen, " << r.dropped_repetitive
      << " dropped as repetitive, " << r.kept << " kept, " << r.selected << " selected";
  }
  return s.str();
}

std::vector<CalibrationSource> parse_calibration_spec(const std::string& spec) {
  std::vector<CalibrationSource> out;
  std::stringstream all(spec);
  std::string item;
  while (std::getline(all, item, ',')) {
    if (item.empty()) continue;
    std::vector<std::string> parts;
    std::stringstream ss(item);
    std::string part;
    while (std::getline(ss, part, ':')) parts.push_back(part);
    CalibrationSource src;
    src.path = parts[0];
    for (size_t i = 1; i < parts.size(); ++i) {
      const size_t eq = parts[i].find('=');
      const std::string key = parts[i].substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : parts[i].substr(eq + 1);
      auto flag = [&] {
        std::string v = value;
        std::transform(v.begin(), v.end(), v.begin(), ::tolower);
        return v != "false";
      };
      if (key == "num") {
        try {
          src.num = std::stoul(value);
        } catch (const std::exception&) {
          fail(spec, "num must be a count, got '" + value + "'");
        }
      } else if (key == "concat") {
        src.concat = flag();
      } else if (key == "apply_chat_template") {
        src.apply_chat_template = flag();
      } else if (key == "system_prompt") {
        src.system_prompt = value;
        src.apply_chat_template = true;  // as upstream
      } else if (key == "txt_split") {
        if (value == "paragraphs") src.format.txt_split = TxtSplit::kParagraphs;
        else if (value == "lines") src.format.txt_split = TxtSplit::kLines;
        else if (value == "file") src.format.txt_split = TxtSplit::kWholeFile;
        else fail(spec, "txt_split must be paragraphs, lines or file, got '" + value + "'");
      } else if (key == "text_field") {
        src.format.text_field = value;
      } else {
        fail(spec, "unknown calibration source option '" + key + "'");
      }
    }
    out.push_back(std::move(src));
  }
  if (out.empty()) fail(spec, "no calibration source in the specification");
  return out;
}

}  // namespace arecipe::text
