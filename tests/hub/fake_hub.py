#!/usr/bin/env python3
"""A loopback stand-in for the Hugging Face hub, enough for arecipe's download client.

Serves a model repository (--repo, --dir) and dataset repositories (--dataset ID=DIR,
repeatable) from local folders the way huggingface.co does:
  GET  /api/models/<org>/<name>/revision/<rev>   {"sha": ..., "siblings": [{"rfilename": ...}]}
  GET  /api/datasets/<org>/<name>/revision/<rev> the same for a dataset
  GET  /api/{models,datasets}/<org>/<name>/tree/<rev>?recursive=true   the file listing
                                                 recent huggingface_hub lists files with
  HEAD /<org>/<name>/resolve/<rev>/<file>        X-Repo-Commit, ETag; LFS files (*.safetensors,
                                                 *.parquet) answer 302 to http://localhost:<port>
                                                 /cdn/<sha256> (another host name, as a CDN) with
                                                 X-Linked-Etag (their sha256) and X-Linked-Size,
                                                 as the hub does
  HEAD /datasets/<org>/<name>/resolve/<rev>/<file>  the same for a dataset's files
  GET  the same, following the redirect; Range requests honoured (206)
Faults for tests (flags): --truncate-once FILE (the first GET of FILE stops half way),
--corrupt FILE (one byte flipped on the wire), --token T (401 without "Bearer T"),
--extra-file NAME (an extra sibling, e.g. pytorch_model.bin, listed and served).
Prints the port on its first line, then serves until killed.
"""
import argparse
import hashlib
import http.server
import json
import os
import sys
import urllib.parse

p = argparse.ArgumentParser()
p.add_argument("--repo", default="")
p.add_argument("--dir", default="")
p.add_argument("--dataset", action="append", default=[], metavar="ID=DIR")
p.add_argument("--commit", default="0123456789abcdef0123456789abcdef01234567")
p.add_argument("--truncate-once", default="")
p.add_argument("--corrupt", default="")
p.add_argument("--token", default="")
p.add_argument("--extra-file", action="append", default=[])
p.add_argument("--log", default="")
args = p.parse_args()



def read_tree(folder):
    tree = {}
    for root, _, names in os.walk(folder):
        for n in names:
            path = os.path.join(root, n)
            tree[os.path.relpath(path, folder)] = open(path, "rb").read()
    return tree


# (kind, repo id) -> {path: bytes}; kind is "models" or "datasets", as in the API paths.
repos = {}
if args.repo:
    repos[("models", args.repo)] = read_tree(args.dir)
    for extra in args.extra_file:
        repos[("models", args.repo)][extra] = b"\x80\x02not really a pickle"
for spec in args.dataset:
    repo_id, _, folder = spec.partition("=")
    repos[("datasets", repo_id)] = read_tree(folder)
by_sha = {hashlib.sha256(b).hexdigest(): b for files in repos.values() for b in files.values()}
truncated = set()
log = open(args.log, "a") if args.log else None


def is_lfs(name):
    return name.endswith((".safetensors", ".bin", ".parquet"))


def git_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Hub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        if log:
            log.write("%s %s %s\n" % (self.command, self.path, self.headers.get("Range", "")))
            log.flush()

    def authorized(self):
        if args.token and self.headers.get("Authorization") != "Bearer " + args.token:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        return True

    def do_HEAD(self):
        self.route(head=True)

    def do_GET(self):
        self.route(head=False)

    def route(self, head):
        path = urllib.parse.unquote(urllib.parse.urlparse(self.path).path)
        if path.startswith("/cdn/"):
            data = by_sha.get(path[5:])
            return self.send_file("", data, head, lfs=True) if data is not None else self.not_found()
        if not self.authorized():
            return
        for (kind, repo_id), files in repos.items():
            api = "/api/%s/%s/revision/" % (kind, repo_id)
            if path.startswith(api):
                return self.send_info(repo_id, files, head)
            if path.startswith("/api/%s/%s/tree/" % (kind, repo_id)):
                return self.send_tree(files, head)
            prefix = ("/datasets/%s/resolve/" if kind == "datasets" else "/%s/resolve/") % repo_id
            if path.startswith(prefix):
                return self.send_resolve(files, path[len(prefix):], head)
        self.not_found()

    def send_info(self, repo_id, files, head):
        self.send_json({"id": repo_id, "sha": args.commit,
                        "siblings": [{"rfilename": n} for n in sorted(files)]}, head)

    def send_json(self, value, head):
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def send_tree(self, files, head):
        entries, folders = [], set()
        for name in sorted(files):
            parts = name.split("/")
            folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
            data = files[name]
            entry = {"type": "file", "oid": git_sha1(data), "size": len(data), "path": name}
            if is_lfs(name):
                entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
            entries.append(entry)
        entries += [{"type": "directory", "oid": "0" * 40, "size": 0, "path": f} for f in sorted(folders)]
        self.send_json(entries, head)

    def send_resolve(self, files, rest, head):
        rev, _, name = rest.partition("/")
        if name not in files or rev not in ("main", args.commit):
            return self.not_found()
        data = files[name]
        if is_lfs(name):
            sha = hashlib.sha256(data).hexdigest()
            self.send_response(302)
            # To another host name, like the hub's CDN links: clients must read the file's
            # metadata from this answer (huggingface_hub follows same-host redirects only).
            self.send_header("Location", "http://localhost:%d/cdn/%s" % (self.server.server_address[1], sha))
            self.send_header("X-Repo-Commit", args.commit)
            self.send_header("X-Linked-Etag", '"%s"' % sha)
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("ETag", '"%s"' % git_sha1(data))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_file(name, data, head, lfs=False)

    def send_file(self, name, data, head, lfs):
        """Sends a file's bytes; `name` is its repository path, found for a CDN blob so that
        the fault flags (which name files) apply to LFS files too."""
        name = name or self.lfs_name(data)
        etag = git_sha1(data)
        if name == args.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start = 0
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
        self.send_response(206 if start else 200)
        if not lfs:
            self.send_header("ETag", '"%s"' % etag)
            self.send_header("X-Repo-Commit", args.commit)
        self.send_header("Content-Length", str(len(data) - start))
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.end_headers()
        if head:
            return
        if name == args.truncate_once and name not in truncated:
            truncated.add(name)
            self.wfile.write(data[start:start + (len(data) - start) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data[start:])

    @staticmethod
    def lfs_name(data):
        for files in repos.values():
            for n, b in files.items():
                if b is data:
                    return n
        return ""

    def not_found(self):
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
print(server.server_address[1], flush=True)
server.serve_forever()
