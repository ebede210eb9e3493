# Shared by daemon_load.sh and console_load.sh: one measurement of
# `notibus serve`'s POST /v1/messages under wrk (50 keep-alive connections),
# its one channel appending to /dev/null, so the API and the bus are measured.
#   source bench/daemon_post.sh; daemon_post_setup
#   daemon_post_run BIN DURATION [BESIDE]   -> prints requests/s
# BESIDE, if given, is a function run with the daemon's base URL once it is up
# (and before wrk); it prints the pid of what it started, killed afterwards.
command -v wrk >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq wrk >/dev/null; }
DAEMON_POST_TOKEN=load-test-token

daemon_post_setup() {
  daemon_post_work=$(mktemp -d)
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$daemon_post_work"' EXIT
  cat >"$daemon_post_work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"topic":"load.test","title":"Load","body":"A body of a typical notification, about eighty bytes long, give or take."}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $DAEMON_POST_TOKEN"
LUA
}

daemon_post_run() {  # binary, duration, [beside]
  local port work=$daemon_post_work beside_pid=""
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$work/serve.yaml" <<YAML
version: 1
server: {listen: "127.0.0.1:$port", auth_token: $DAEMON_POST_TOKEN, max_connections: 1024}
status: {max_entries: 10000}
channels:
  sink: {type: file, path: /dev/null, max_inflight: 64, queue: {capacity: 1000000}}
routes:
  - to: [sink]
YAML
  "$1" --log-level error serve -c "$work/serve.yaml" &
  local pid=$!
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
  [[ -n ${3:-} ]] && beside_pid=$("$3" "http://127.0.0.1:$port")
  wrk -t2 -c50 -d"$2s" -s "$work/post.lua" "http://127.0.0.1:$port/v1/messages" |
    awk '/Requests\/sec/ { print $2 } /Non-2xx/ { print "non-2xx " $4 > "/dev/stderr" }'
  if [[ -n $beside_pid ]]; then kill "$beside_pid"; wait "$beside_pid" 2>/dev/null || true; fi
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
