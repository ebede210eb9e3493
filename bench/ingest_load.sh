#!/usr/bin/env bash
# Each ingestion dialect against the native API, in the same run: one
# `notibus serve` with every dialect on (its one channel appending to
# /dev/null), and wrk (50 keep-alive connections, D seconds) posting each
# dialect's typical request in turn, ROUNDS times. Alertmanager and Grafana
# bodies change per request (the start time), so each is a new notification,
# not a duplicate; those requests are built before the clock starts. Prints each dialect's median and its ratio to the native
# POST /v1/messages, and Alertmanager's to the same message posted natively.
#   bench/ingest_load.sh [D] [ROUNDS] [NOTIBUS]   (default 5 s, 3, build/main/bin/notibus)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5}
rounds=${2:-3}
bin=${3:-$PWD/build/main/bin/notibus}
command -v wrk >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq wrk >/dev/null; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
token=load-test-token
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/serve.yaml" <<YAML
version: 1
server: {listen: "127.0.0.1:$port", auth_token: $token, max_connections: 1024}
status: {max_entries: 10000}
ingest:
  token: $token
  apprise: {enabled: true, keys: {load: load.test}}
  ntfy: {enabled: true}
  gotify: {enabled: true}
  alertmanager: {enabled: true}
  grafana: {enabled: true}
  slack: {enabled: true}
  discord: {enabled: true}
channels:
  sink: {type: file, path: /dev/null, max_inflight: 64, queue: {capacity: 1000000}}
routes:
  - to: [sink]
YAML
text="A body of a typical notification, about eighty bytes long, give or take."
# name, path, extra lua (headers, body or a request() function)
lua() {  # name path content-type body [counter-field]
  cat >"$work/$1.lua" <<LUA
wrk.method = "POST"
wrk.path = "$2"
wrk.headers["Content-Type"] = "$3"
wrk.headers["Authorization"] = "Bearer $token"
local body = [[$4]]
if body:find("STARTS") then
  -- Requests built before the clock starts, distinct per thread and more than
  -- status.max_entries apart: wrk's own work per request stays what it is for a
  -- fixed body, and no request is a duplicate of one still remembered.
  local threads, ring, n = 0, {}, 0
  setup = function(thread)
    thread:set("first", threads * 1000000)
    threads = threads + 1
  end
  init = function()
    for i = 1, 20000 do
      ring[i] = wrk.format(nil, nil, nil, (body:gsub("STARTS", tostring(first + i))))
    end
  end
  request = function()
    n = n % #ring + 1
    return ring[n]
  end
else
  wrk.body = body
end
LUA
}
alerts='{"version":"4","groupKey":"{}:{alertname=\"Load\"}","status":"firing","receiver":"r","groupLabels":{"alertname":"Load"},"commonLabels":{"alertname":"Load","severity":"warning"},"commonAnnotations":{"summary":"Load test"},"externalURL":"http://am","alerts":[{"status":"firing","labels":{"alertname":"Load","instance":"a"},"annotations":{"description":"'"$text"'"},"startsAt":"STARTS","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom","fingerprint":"f1"}]'
lua native /v1/messages application/json '{"topic":"load.test","title":"Load","body":"'"$text"'"}'
# The message Alertmanager's request becomes, posted natively: what is left
# between it and alertmanager is the dialect's own cost.
lua native_alert /v1/messages application/json '{"topic":"alertmanager","title":"[FIRING:1] Load test","body":"- **Firing**: Load test — '"$text"' (`a`) [source](http://prom)\n","format":"markdown","priority":"high","tags":["firing","warning"],"attributes":{"alert.external_url":"http://am","alert.receiver":"r","alert.status":"firing","annotation.summary":"Load test","label.alertname":"Load","label.severity":"warning"},"idempotency_key":"alert:STARTS"}'
lua apprise /notify/load application/json '{"title":"Load","body":"'"$text"'","type":"info"}'
lua ntfy /load-test text/plain "$text"
lua gotify /message application/json '{"title":"Load","message":"'"$text"'","priority":5}'
lua alertmanager /hooks/alertmanager application/json "$alerts}"
lua grafana /hooks/grafana application/json "$alerts"',"title":"[FIRING:1] Load","message":"'"$text"'","state":"alerting"}'
lua slack "/hooks/slack/$token" application/json '{"text":"*Load* '"$text"'"}'
lua discord "/api/webhooks/1/$token" application/json '{"content":"**Load** '"$text"'"}'
"$bin" --log-level error serve -c "$work/serve.yaml" &
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
names=(native apprise ntfy gotify native_alert alertmanager grafana slack discord)
declare -A results
for round in $(seq "$rounds"); do
  for name in "${names[@]}"; do
    r=$(wrk -t2 -c50 -d"${duration}s" -s "$work/$name.lua" "http://127.0.0.1:$port" |
      awk '/Requests\/sec/ { print $2 } /Non-2xx/ { print "non-2xx " $4 > "/dev/stderr" }')
    echo "round $round $name: $r req/s"
    results[$name]+="$r "
  done
done
args=()
for name in "${names[@]}"; do args+=("$name=${results[$name]}"); done
/usr/bin/python3 - "${args[@]}" <<'PY'
import statistics, sys
medians = {a.split("=")[0]: statistics.median(float(x) for x in a.split("=")[1].split()) for a in sys.argv[1:]}
for name, m in medians.items():
    print(f"{name}: median {m:.0f} req/s, ratio to native: {m / medians['native']:.2f}")
print(f"alertmanager / native_alert (the same message): {medians['alertmanager'] / medians['native_alert']:.2f}")
PY
