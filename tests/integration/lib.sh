# Helpers for the shell integration tests: expect_exit CODE CMD..., expect_grep.
set -uo pipefail
failures=0
checks=0
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

expect_exit() {
  local want=$1
  shift
  "$@" >"$workdir/out" 2>"$workdir/err"
  local got=$?
  checks=$((checks + 1))
  if [[ $got -ne $want ]]; then
    failures=$((failures + 1))
    echo "FAIL: expected exit $want, got $got: $*"
    sed 's/^/  stdout: /' "$workdir/out"
    sed 's/^/  stderr: /' "$workdir/err"
  fi
}

# expect_grep FILE(out|err) PATTERN: the last command's output holds PATTERN.
expect_grep() {
  checks=$((checks + 1))
  if ! grep -qF -- "$2" "$workdir/$1"; then
    failures=$((failures + 1))
    echo "FAIL: std$1 lacks: $2"
    sed "s/^/  std$1: /" "$workdir/$1"
  fi
}

expect_no_grep() {
  checks=$((checks + 1))
  if grep -qF -- "$2" "$workdir/$1"; then
    failures=$((failures + 1))
    echo "FAIL: std$1 must not contain: $2"
  fi
}

finish() {
  echo "$((checks - failures)) passed, $failures failed"
  [[ $failures -eq 0 ]]
}
