#include "engine/tune/calibration_inputs.h"

#include <ATen/ATen.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cmath>

#include "engine/hub/dataset_snapshot.h"
#include "engine/util/error.h"

namespace arecipe::tune {
namespace {

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// A `dataset:` naming a hub dataset: the split's files in the shared HF cache (fetched
// when missing), read in repository path order as one source that s.path names.
void read_hub_dataset(const dsl::CalibrationSource& c, const std::string& repo_id, text::CalibrationSource& s) {
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
  s.path = repo_id + (req.config ? "/" + *req.config : "") + " split " + req.split + " (" +
           std::to_string(split.paths.size()) + (split.paths.size() == 1 ? " file" : " files") + " in " +
           split.snapshot.dir + ")";
  s.files = split.paths;
  spdlog::info("calibration: {}: {}", s.path, fmt::join(split.snapshot.files, ", "));
}

text::CalibrationSource to_text_source(const dsl::CalibrationSource& c, int nsamples) {
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
    read_hub_dataset(c, parsed.front().path, s);
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
  for (const auto& c : sources) opt.sources.push_back(to_text_source(c, nsamples));
  opt.nsamples = static_cast<size_t>(nsamples);
  opt.seqlen = static_cast<size_t>(seqlen);
  opt.seed = seed;
  text::CalibrationSet set = text::build_calibration_set(tok, opt);
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
