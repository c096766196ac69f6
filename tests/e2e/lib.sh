# Helpers for the e2e shell tests. Each test sources this, then calls its checks;
# any failed check makes the script exit 1 at the end.
set -u
ARECIPE=${1:?usage: $0 path/to/arecipe}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
pass() { echo "ok   $1"; }
bad() { echo "FAIL $1"; failures=$((failures + 1)); }

# expect_error NAME "needle1" "needle2" -- CMD...: CMD must exit non-zero and print
# exactly one line on stderr containing every needle.
expect_error() {
  local name=$1; shift
  local needles=()
  while [[ $1 != -- ]]; do needles+=("$1"); shift; done
  shift
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  if [[ $rc -eq 0 ]]; then bad "$name: exit code 0"; return; fi
  if [[ $(printf '%s\n' "$err" | grep -c .) -ne 1 ]]; then bad "$name: expected one line, got: $err"; return; fi
  for n in "${needles[@]}"; do
    if [[ $err != *"$n"* ]]; then bad "$name: '$n' not in: $err"; return; fi
  done
  pass "$name ($err)"
}

finish() {
  if ((failures)); then echo "$failures failed"; exit 1; fi
  echo "all passed"
}
