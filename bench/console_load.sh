#!/usr/bin/env bash
# What an open console costs the API: bench/daemon_load.sh's load (wrk posting
# over 50 connections for D seconds) against `notibus serve`, with and without
# the console open in headless chromium (logged in, on the Channels view,
# which polls every 2 s), taking turns ROUNDS times; medians and the ratio.
#   bench/console_load.sh [D] [ROUNDS] [NOTIBUS]   (default 8 s, 5, build/main/bin/notibus)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-8}
rounds=${2:-5}
bin=${3:-$PWD/build/main/bin/notibus}
command -v wrk >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq wrk >/dev/null; }
export NOTIBUS_BUILD_DIR=${NOTIBUS_BUILD_DIR:-$PWD/build/main} NOTIBUS_SOURCE_DIR=$PWD
source tests/integration/npm_peers.sh
peers=$(npm_peers)
cp bench/console_open.mjs "$peers/"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"topic":"load.test","title":"Load","body":"A body of a typical notification, about eighty bytes long, give or take."}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer load-test-token"
LUA

run() {  # with_console(0|1) -> requests/s
  local port
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$work/serve.yaml" <<YAML
version: 1
server: {listen: "127.0.0.1:$port", auth_token: load-test-token, max_connections: 1024}
status: {max_entries: 10000}
channels:
  sink: {type: file, path: /dev/null, max_inflight: 64, queue: {capacity: 1000000}}
routes:
  - to: [sink]
YAML
  "$bin" --log-level error serve -c "$work/serve.yaml" &
  local pid=$! console=""
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
  if [[ $1 == 1 ]]; then
    node "$peers/console_open.mjs" "http://127.0.0.1:$port" load-test-token >"$work/console.log" 2>&1 &
    console=$!
    for _ in $(seq 200); do grep -q '^open' "$work/console.log" && break; sleep 0.1; done
  fi
  wrk -t2 -c50 -d"${duration}s" -s "$work/post.lua" "http://127.0.0.1:$port/v1/messages" |
    awk '/Requests\/sec/ { print $2 }'
  if [[ -n $console ]]; then kill "$console"; wait "$console" 2>/dev/null || true; fi
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

without="" with=""
for round in $(seq "$rounds"); do
  a=$(run 0); b=$(run 1)
  echo "round $round: without console $a req/s, with console open $b req/s"
  without+="$a "; with+="$b "
done
/usr/bin/python3 - "$without" "$with" <<'PY'
import statistics, sys
a = statistics.median(float(x) for x in sys.argv[1].split())
b = statistics.median(float(x) for x in sys.argv[2].split())
print(f"median without console {a:.0f} req/s, with console open {b:.0f} req/s, ratio {b / a:.3f}")
PY
