#include "engine/hub/http.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>

#include "engine/util/error.h"

namespace arecipe::hub {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Easy {
  CURL* h;
  curl_slist* headers = nullptr;
  Easy() : h(curl_easy_init()) {
    if (!h) throw Error("http: cannot initialise libcurl");
  }
  ~Easy() {
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
  }
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<HttpResponse*>(user);
  std::string line(data, size * n);
  // A redirect followed by curl starts a new header block: keep only the last one.
  if (line.rfind("HTTP/", 0) == 0) r->headers.clear();
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon), value = line.substr(colon + 1);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.erase(0, 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
    r->headers[name] = value;
  }
  return size * n;
}

struct BodySink {
  std::string* body;
  size_t max;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<BodySink*>(user);
  if (s->body->size() + size * n > s->max) return 0;  // makes curl fail with a write error
  s->body->append(data, size * n);
  return size * n;
}

void configure(Easy& e, const std::string& url, const HttpOptions& o, HttpResponse& r) {
  global_init();
  curl_easy_setopt(e.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e.h, CURLOPT_USERAGENT, "arecipe/0.1");
  curl_easy_setopt(e.h, CURLOPT_CONNECTTIMEOUT, o.connect_timeout_s);
  curl_easy_setopt(e.h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(e.h, CURLOPT_LOW_SPEED_TIME, o.low_speed_timeout_s);
  curl_easy_setopt(e.h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e.h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e.h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e.h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e.h, CURLOPT_HEADERDATA, &r);
  if (!o.bearer_token.empty())
    e.headers = curl_slist_append(e.headers, ("Authorization: Bearer " + o.bearer_token).c_str());
  curl_easy_setopt(e.h, CURLOPT_HTTPHEADER, e.headers);
}

void perform(Easy& e, const std::string& url, HttpResponse& r) {
  const CURLcode rc = curl_easy_perform(e.h);
  if (rc != CURLE_OK) throw Error(url + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(e.h, CURLINFO_RESPONSE_CODE, &r.status);
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

HttpResponse http_head(const std::string& url, const HttpOptions& options) {
  Easy e;
  HttpResponse r;
  configure(e, url, options, r);
  curl_easy_setopt(e.h, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(e.h, CURLOPT_FOLLOWLOCATION, 0L);
  perform(e, url, r);
  return r;
}

HttpResponse http_get(const std::string& url, const HttpOptions& options, size_t max_body) {
  Easy e;
  HttpResponse r;
  BodySink sink{&r.body, max_body};
  configure(e, url, options, r);
  curl_easy_setopt(e.h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e.h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(e.h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e.h, CURLOPT_WRITEDATA, &sink);
  perform(e, url, r);
  return r;
}

namespace {

struct FileSink {
  std::FILE* f = nullptr;
  uint64_t done = 0;
  const ProgressFn* progress;
  Easy* easy;
  bool decided = false;  // whether the answer to a Range request was looked at yet
  uint64_t offset = 0;
  const std::string* path;
};

size_t on_file(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<FileSink*>(user);
  if (!s->decided) {
    s->decided = true;
    long status = 0;
    curl_easy_getinfo(s->easy->h, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 400) return 0;  // an error page must not land in the blob
    if (s->offset > 0 && status != 206) {  // the server ignored Range: start over
      s->f = std::freopen(s->path->c_str(), "wb", s->f);
      if (!s->f) return 0;
      s->done = 0;
    }
  }
  if (std::fwrite(data, 1, size * n, s->f) != size * n) return 0;
  s->done += size * n;
  if (*s->progress) (*s->progress)(s->done);
  return size * n;
}

}  // namespace

long http_download(const std::string& url, const std::string& path, uint64_t offset, const HttpOptions& options,
                   const ProgressFn& progress) {
  std::FILE* f = std::fopen(path.c_str(), offset > 0 ? "ab" : "wb");
  if (!f) fail(path, "cannot open for writing");
  Easy e;
  HttpResponse r;
  FileSink sink{f, offset, &progress, &e, false, offset, &path};
  configure(e, url, options, r);
  curl_easy_setopt(e.h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e.h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(e.h, CURLOPT_WRITEFUNCTION, on_file);
  curl_easy_setopt(e.h, CURLOPT_WRITEDATA, &sink);
  if (offset > 0) curl_easy_setopt(e.h, CURLOPT_RANGE, (std::to_string(offset) + "-").c_str());
  const CURLcode rc = curl_easy_perform(e.h);
  curl_easy_getinfo(e.h, CURLINFO_RESPONSE_CODE, &r.status);
  const bool closed = sink.f && std::fclose(sink.f) == 0;
  if (rc == CURLE_WRITE_ERROR && r.status >= 400) return r.status;
  if (rc != CURLE_OK) throw Error(url + ": " + curl_easy_strerror(rc) + " (partial download kept; run again to resume)");
  if (!closed) fail(path, "write failed (disk full?)");
  return r.status;
}

}  // namespace arecipe::hub
