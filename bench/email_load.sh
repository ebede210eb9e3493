#!/usr/bin/env bash
# Email throughput into Postfix's smtp-sink on 127.0.0.1, notibus versus
# nodemailer's pooled transport in the same run (5 connections each, 50 sends in
# flight for nodemailer). Prints both rates, the ratio and notibus's peak RSS.
#   bench/email_load.sh [N]        (default 5000; needs a build in build/main)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5000}
build=${NOTIBUS_BUILD_DIR:-$PWD/build/main}
command -v smtp-sink >/dev/null || PATH=$PATH:/usr/sbin
if ! command -v smtp-sink >/dev/null; then
  echo "installing postfix for smtp-sink (its daemon is not started)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null
fi
work=$(mktemp -d)
trap 'kill $sink 2>/dev/null || true; rm -rf "$work"' EXIT

export NOTIBUS_BUILD_DIR=$build NOTIBUS_SOURCE_DIR=$PWD
source tests/integration/npm_peers.sh
peers=$(npm_peers)
cp bench/nodemailer_load.mjs "$peers/"

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
smtp-sink -u nobody 127.0.0.1:"$port" 256 &
sink=$!
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done

cat >"$work/load.yaml" <<YAML
version: 1
plugin_dirs: [$build/plugins]
status: {max_entries: 1000}
channels:
  mail:
    type: email
    host: 127.0.0.1
    port: $port
    tls: none
    from: "Alerts <alerts@example.com>"
    to: [oncall@example.com]
    max_inflight: 5
    max_messages_per_connection: 100000
    queue: {capacity: $((n + 1))}
routes:
  - to: [mail]
YAML

ours=$("$build/bench/notibus_load" "$work/load.yaml" "$n")
theirs=$(node "$peers/nodemailer_load.mjs" "$port" "$n")
echo "$ours"
echo "$theirs"
rate() { sed -E 's/.*= ([0-9]+) msg\/s.*/\1/' <<<"$1"; }
awk -v a="$(rate "$ours")" -v b="$(rate "$theirs")" 'BEGIN { printf "ratio notibus/nodemailer: %.2f\n", a / b }'
