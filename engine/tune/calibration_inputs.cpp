#include "engine/tune/calibration_inputs.h"

#include <ATen/ATen.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "engine/hub/dataset_snapshot.h"
#include "engine/util/error.h"

namespace fs = std::filesystem;

namespace arecipe::tune {
namespace {

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Replaces every occurrence of each key of `names` in `text` by its value.
std::string renamed(std::string text, const std::map<std::string, std::string>& names) {
  for (auto it = names.rbegin(); it != names.rend(); ++it)  // longer paths (links in a folder) first
    for (size_t at = text.find(it->first); at != std::string::npos; at = text.find(it->first, at + it->second.size()))
      text.replace(at, it->first.size(), it->second);
  return text;
}

// The text reader takes one file or one flat folder per source, but a hub split may span
// several folders (train/a.jsonl, train/more/b.jsonl). Such a split is read through a
// private folder of links whose numbered names keep the files' repository order; it is
// removed once the documents have been read.
class StagedSplits {
 public:
  StagedSplits() = default;
  StagedSplits(const StagedSplits&) = delete;
  StagedSplits& operator=(const StagedSplits&) = delete;
  ~StagedSplits() {
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }

  std::string folder_for(const std::vector<std::string>& paths) {
    if (root_.empty()) root_ = make_temp_root();
    const fs::path dir = fs::path(root_) / std::to_string(count_++);
    fs::create_directories(dir);
    for (size_t i = 0; i < paths.size(); ++i) {
      char index[32];
      std::snprintf(index, sizeof index, "%06zu-", i);
      const fs::path link = dir / (index + fs::path(paths[i]).filename().string());
      fs::create_symlink(paths[i], link);
      targets_[link.string()] = paths[i];
    }
    return dir.string();
  }
  // Error messages name the files in the cache, not their links here.
  const std::map<std::string, std::string>& targets() const { return targets_; }

 private:
  static std::string make_temp_root() {
    std::string tmpl = (fs::temp_directory_path() / "arecipe-calibration-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw Error(tmpl + ": cannot create a temporary folder for the calibration split");
    return tmpl;
  }
  std::string root_;
  int count_ = 0;
  std::map<std::string, std::string> targets_;
};

// A `dataset:` naming a hub dataset: the split's files in the shared HF cache (fetched
// when missing), as one calibration source. `label` names it in the calibration report.
std::string hub_dataset_path(const dsl::CalibrationSource& c, const std::string& repo_id, StagedSplits& staged,
                             std::string& label) {
  const auto& spec = *c.dataset;
  hub::DatasetRequest req;
  req.hub.repo_id = repo_id;
  if (c.split) req.split = c.split->value;
  if (c.config) req.config = c.config->value;
  hub::DatasetSplit split;
  try {
    split = hub::dataset_split_download(req);
  } catch (const Error& e) {
    fail(spec.loc.str(), "calibration dataset " + repo_id + ": " + e.what() +
                             " (hint: a local copy works too, e.g. calibration: [{file: data/calib.jsonl, field: text}])");
  }
  label = repo_id + (req.config ? "/" + *req.config : "") + " split " + req.split + " (" +
          std::to_string(split.paths.size()) + (split.paths.size() == 1 ? " file" : " files") + " in " +
          split.snapshot.dir + ")";
  spdlog::info("calibration: {}: {}", label, fmt::join(split.snapshot.files, ", "));
  return split.paths.size() == 1 ? split.paths.front() : staged.folder_for(split.paths);
}

text::CalibrationSource to_text_source(const dsl::CalibrationSource& c, int nsamples, StagedSplits& staged,
                                       std::map<std::string, std::string>& labels) {
  const auto& spec = c.dataset ? *c.dataset : *c.file;
  std::vector<text::CalibrationSource> parsed = text::parse_calibration_spec(spec.value);
  if (parsed.size() != 1)
    fail(spec.loc.str(), "one calibration source per list item (got " + std::to_string(parsed.size()) + ")");
  text::CalibrationSource s = parsed.front();
  if (!exists(s.path)) {
    if (!c.dataset) fail(spec.loc.str(), "calibration file '" + s.path + "' does not exist");
    if (!hub::looks_like_repo_id(s.path))
      fail(spec.loc.str(), "calibration dataset '" + s.path +
                               "' is neither a local file or directory nor a hub dataset id (owner/name)");
    std::string label;
    s.path = hub_dataset_path(c, parsed.front().path, staged, label);
    labels[s.path] = label;
  }
  if (c.field) s.format.text_field = c.field->value;
  if (c.share) s.num = static_cast<size_t>(std::llround(c.share->value * nsamples));
  return s;
}

}  // namespace

at::Tensor loss_mask_for(const at::Tensor& ids, std::optional<int64_t> pad_id) {
  at::Tensor mask = at::ones(ids.sizes(), at::kFloat);
  if (pad_id) {
    mask.masked_fill_(ids == *pad_id, 0.0);
  } else {
    // Upstream's heuristic without a pad token: a run of the last token repeated at
    // the end of a sample is padding.
    auto id = ids.accessor<int64_t, 2>();
    auto m = mask.accessor<float, 2>();
    for (int64_t b = 0; b < ids.size(0); ++b)
      for (int64_t j = ids.size(1) - 2; j >= 0 && id[b][j] == id[b][ids.size(1) - 1]; --j) m[b][j] = 0.0f;
  }
  mask.select(1, ids.size(1) - 1).fill_(0.0);
  return mask;
}

CalibrationInputs load_calibration(const std::vector<dsl::CalibrationSource>& sources, const Tokenizer& tok,
                                   int nsamples, int seqlen, uint64_t seed) {
  if (sources.empty())
    throw Error("tuning needs calibration data: add a calibration: section to the recipe, e.g. "
                "calibration: [{file: my-text.txt}]");
  text::CalibrationOptions opt;
  StagedSplits staged;                        // must outlive build_calibration_set
  std::map<std::string, std::string> labels;  // source path -> hub dataset description
  for (const auto& c : sources) opt.sources.push_back(to_text_source(c, nsamples, staged, labels));
  opt.nsamples = static_cast<size_t>(nsamples);
  opt.seqlen = static_cast<size_t>(seqlen);
  opt.seed = seed;
  text::CalibrationSet set = [&] {
    try {
      return text::build_calibration_set(tok, opt);
    } catch (const Error& e) {  // name hub files and splits rather than their temporary links
      throw Error(renamed(renamed(e.what(), staged.targets()), labels));
    }
  }();
  for (auto& r : set.report.sources)
    if (auto it = labels.find(r.path); it != labels.end()) r.path = it->second;
  for (const auto& w : set.report.warnings) spdlog::warn("calibration: {}", w);
  spdlog::info("calibration sources: {}", set.report.summary());

  const int64_t n = static_cast<int64_t>(set.samples.size());
  at::Tensor ids = at::empty({n, seqlen}, at::kLong);
  auto acc = ids.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < seqlen; ++j) acc[i][j] = set.samples[i][j];
  CalibrationInputs out;
  out.ids = ids;
  out.loss_mask = loss_mask_for(ids, tok.pad_id());
  out.report = std::move(set.report);
  return out;
}

}  // namespace arecipe::tune
