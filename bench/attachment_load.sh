#!/usr/bin/env bash
# Attachments to a webhook: N messages each carrying a 1 MB file, sent as
# multipart/form-data to a local sink (nginx answering 204), notibus versus
# undici with FormData in the same run, both with 8 requests in flight.
# Prints both rates, the ratio and each peak RSS.
#   bench/attachment_load.sh [N] [SIZE]   (default 2000 messages of 1000000 bytes)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
size=${2:-1000000}
inflight=8
build=${NOTIBUS_BUILD_DIR:-$PWD/build/main}
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

export NOTIBUS_BUILD_DIR=$build NOTIBUS_SOURCE_DIR=$PWD
source tests/integration/npm_peers.sh
peers=$(npm_peers)
cp bench/undici_load.mjs "$peers/"
source bench/nginx_stand_in.sh  # /hook answers 204
head -c "$size" /dev/urandom >"$work/report.bin"

cat >"$work/load.yaml" <<YAML
version: 1
plugin_dirs: [$build/plugins]
status: {max_entries: 1000}
channels:
  sink: {type: webhook, url: "http://127.0.0.1:$port/hook", max_inflight: $inflight}
routes:
  - to: [sink]
YAML

rate() { sed -E 's/.*= ([0-9]+) msg\/s.*/\1/' <<<"$1"; }
theirs=$(node "$peers/undici_load.mjs" "http://127.0.0.1:$port/hook" "$n" "$inflight" "$work/report.bin")
echo "$theirs"
# A window of 100 outstanding, as an application with back-pressure publishes.
ours=$(NOTIBUS_LOAD_ATTACH="$work/report.bin" "$build/bench/notibus_load" "$work/load.yaml" "$n" 100)
echo "$ours"
awk -v a="$(rate "$ours")" -v b="$(rate "$theirs")" 'BEGIN { printf "  ratio notibus / undici: %.2f\n", a / b }'
