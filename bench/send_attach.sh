#!/usr/bin/env bash
# One-shot sends with a file: `notibus send -c CONFIG --attach FILE` (a
# webhook with attachments_as: json) against Debian's `apprise --attach FILE
# json://...` (the file in base64 in the JSON body too), each run R times in
# turn against a local sink (nginx answering 204). Apprise 1.2's form:// (its
# multipart) fails with any attachment ("read of closed file"), so both send
# JSON. Prints each median wall time and the ratio.
#   bench/send_attach.sh [R] [SIZE]   (default 10 runs of a 1000000-byte file)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
size=${2:-1000000}
build=${NOTIBUS_BUILD_DIR:-$PWD/build/main}
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
source bench/nginx_stand_in.sh  # /hook answers 204
head -c "$size" /dev/urandom >"$work/report.bin"
cat >"$work/send.yaml" <<YAML
version: 1
plugin_dirs: [$build/plugins]
channels:
  hook: {type: webhook, url: "http://127.0.0.1:$port/hook", attachments_as: json}
routes:
  - to: [hook]
YAML

wall() {  # the command's wall time in seconds; fails if the command does
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$work/ours" >"$work/theirs"
for _ in $(seq "$runs"); do
  wall "$build/bin/notibus" send -c "$work/send.yaml" --body "see the file" \
    --attach "$work/report.bin" >>"$work/ours"
  wall apprise -b "see the file" --attach "$work/report.bin" "json://127.0.0.1:$port/hook" >>"$work/theirs"
done
ours=$(median <"$work/ours")
theirs=$(median <"$work/theirs")
printf "notibus send --attach: median %.3f s over %d runs\n" "$ours" "$runs"
printf "apprise --attach:      median %.3f s over %d runs\n" "$theirs" "$runs"
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "  ratio notibus / apprise (wall time): %.3f\n", a / b }'
