#!/usr/bin/env bash
# The daemon's HTTP API under load: wrk posting messages over 50 keep-alive
# connections for D seconds to `notibus serve`, whose one channel appends to
# /dev/null (so the API and the bus are measured, not a receiver). With several
# binaries (before and after a change), they take turns, ROUNDS times, and the
# medians are printed with each binary's ratio to the first.
#   bench/daemon_load.sh [D] [ROUNDS] [NOTIBUS...]   (default 10 s, 3, build/main/bin/notibus)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
rounds=${2:-3}
shift $(($# < 2 ? $# : 2))
bins=("$@")
((${#bins[@]})) || bins=("$PWD/build/main/bin/notibus")
command -v wrk >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq wrk >/dev/null; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"topic":"load.test","title":"Load","body":"A body of a typical notification, about eighty bytes long, give or take."}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer load-test-token"
LUA

run() {  # binary -> requests/s
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
  "$1" --log-level error serve -c "$work/serve.yaml" &
  local pid=$!
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
  wrk -t2 -c50 -d"${duration}s" -s "$work/post.lua" "http://127.0.0.1:$port/v1/messages" |
    awk '/Requests\/sec/ { print $2 } /Non-2xx/ { print "non-2xx " $4 > "/dev/stderr" }'
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

declare -a results
for round in $(seq "$rounds"); do
  for i in "${!bins[@]}"; do
    r=$(run "${bins[$i]}")
    echo "round $round ${bins[$i]}: $r req/s"
    results[$i]+="$r "
  done
done
/usr/bin/python3 - "${results[@]}" <<'PY'
import statistics, sys
medians = [statistics.median(float(x) for x in r.split()) for r in sys.argv[1:]]
for i, m in enumerate(medians):
    print(f"binary {i + 1}: median {m:.0f} req/s, ratio to binary 1: {m / medians[0]:.2f}")
PY
