// A small blocking HTTP client over libcurl, just what the hub client needs: a request
// whose headers we read without following redirects, a JSON GET, and a resumable
// download appended to a file. Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace arecipe::hub {

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names, last value wins
  std::string body;
  std::string header(const std::string& lower_name) const;  // "" when absent
};

struct HttpOptions {
  std::string bearer_token;   // sent as Authorization; curl drops it on a redirect to another host
  long connect_timeout_s = 20;
  long low_speed_timeout_s = 60;  // abort when under 1 KB/s for this long
};

// HEAD without following redirects (the hub's metadata lives on the first answer).
HttpResponse http_head(const std::string& url, const HttpOptions& options);
// GET following redirects; the body is kept in memory, so only for small answers.
HttpResponse http_get(const std::string& url, const HttpOptions& options, size_t max_body = 64u << 20);

// GET following redirects, appending the body to `path` from byte `offset` (Range
// request when offset > 0; a server that ignores Range restarts the file). Reports
// bytes written so far. Returns the final status; throws Error on transport failures.
using ProgressFn = std::function<void(uint64_t done)>;
long http_download(const std::string& url, const std::string& path, uint64_t offset, const HttpOptions& options,
                   const ProgressFn& progress);

}  // namespace arecipe::hub
