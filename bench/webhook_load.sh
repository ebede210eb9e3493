#!/usr/bin/env bash
# Webhook throughput against a local sink (nginx answering 204), notibus versus
# undici (Node's HTTP client) in the same run, both with 50 requests in flight
# over keep-alive connections. Prints both rates, the ratio and notibus's peak RSS.
#   bench/webhook_load.sh [N]        (default 10000; needs a build in build/main)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
inflight=50
build=${NOTIBUS_BUILD_DIR:-$PWD/build/main}
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

export NOTIBUS_BUILD_DIR=$build NOTIBUS_SOURCE_DIR=$PWD
source tests/integration/npm_peers.sh
peers=$(npm_peers)
cp bench/undici_load.mjs "$peers/"

source bench/nginx_stand_in.sh  # /hook answers 204

cat >"$work/load.yaml" <<YAML
version: 1
plugin_dirs: [$build/plugins]
status: {max_entries: 1000}
channels:
  sink:
    type: webhook
    url: http://127.0.0.1:$port/hook
    max_inflight: $inflight
    queue: {capacity: $((n + 1))}
routes:
  - to: [sink]
YAML

rate() { sed -E 's/.*= ([0-9]+) msg\/s.*/\1/' <<<"$1"; }
theirs=$(node "$peers/undici_load.mjs" "http://127.0.0.1:$port/hook" "$n" "$inflight")
echo "$theirs"
# notibus publishing all N at once (the bus queues them all), then with at most
# 1,000 outstanding, as an app with back-pressure would publish: RSS then shows
# the bus, not N queued messages.
run() {  # label, driver, config, [window]
  local out
  out=$("$2" "$3" "$n" ${4:-})
  echo "$1 $out"
  awk -v a="$(rate "$out")" -v b="$(rate "$theirs")" -v l="$1" \
    'BEGIN { printf "  ratio %s / undici: %.2f\n", l, a / b }'
}
run "dynamic, modules, all at once:" "$build/bench/notibus_load" "$work/load.yaml"
run "dynamic, modules, window 1000:" "$build/bench/notibus_load" "$work/load.yaml" 1000
# As shipped: one static binary with the channels built in (scripts/build-bench-static).
static=${NOTIBUS_STATIC_BENCH_DIR:-$PWD/build/bench-static}/bench/notibus_load
if [[ -x $static ]]; then
  grep -v plugin_dirs "$work/load.yaml" >"$work/load-static.yaml"
  run "static, built in, all at once:" "$static" "$work/load-static.yaml"
  run "static, built in, window 1000:" "$static" "$work/load-static.yaml" 1000
else
  echo "(no $static: run scripts/build-bench-static for the static figures)"
fi
