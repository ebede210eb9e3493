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

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/logs"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/body;
  server { listen 127.0.0.1:$port; location / { return 204; } }
}
CONF
nginx -p "$work" -c "$work/nginx.conf"
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done

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

ours=$("$build/bench/notibus_load" "$work/load.yaml" "$n")
# The same with at most 1,000 messages outstanding, as an app with back-pressure
# would publish: RSS then shows the bus, not 10,000 queued messages.
windowed=$("$build/bench/notibus_load" "$work/load.yaml" "$n" 1000)
theirs=$(node "$peers/undici_load.mjs" "http://127.0.0.1:$port/hook" "$n" "$inflight")
echo "$ours"
echo "windowed (1000) $windowed"
echo "$theirs"
rate() { sed -E 's/.*= ([0-9]+) msg\/s.*/\1/' <<<"$1"; }
awk -v a="$(rate "$ours")" -v b="$(rate "$theirs")" 'BEGIN { printf "ratio notibus/undici: %.2f\n", a / b }'
