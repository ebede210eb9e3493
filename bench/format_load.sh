#!/usr/bin/env bash
# What rendering costs a service channel: the same Markdown alert (BODY,
# default tests/format/corpus/alert-basic.md, 635 bytes with emphasis, links,
# lists, a table and code) sent to Telegram's and Slack's definitions as text
# (pasted, escaped, as 1.0 did) and as markdown (parsed and rendered), rounds
# taken in turn against the nginx stand-in, 50 requests in flight. Prints
# each run and the median ratio markdown / text per service.
#   bench/format_load.sh [N] [ROUNDS] [BODY]   (default 20000, 5; needs build/main)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
rounds=${2:-5}
body=${3:-tests/format/corpus/alert-basic.md}
build=${NOTIBUS_BUILD_DIR:-$PWD/build/main}
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
source bench/nginx_stand_in.sh

config() {  # name, channel
  cat >"$work/$1.yaml" <<YAML
version: 1
plugin_dirs: [$build/plugins]
status: {max_entries: 1000}
channels:
  sink: {$2, max_inflight: 50, queue: {capacity: $((n + 1))}}
routes:
  - to: [sink]
YAML
}
config slack "type: slack, webhook_url: \"http://127.0.0.1:$port/services/T1/B2/token\""
config telegram "type: telegram, bot_token: \"1:token\", chat_id: \"-100\", api_url: \"http://127.0.0.1:$port\""

rate() { sed -E 's/.*= ([0-9]+) msg\/s.*/\1/' <<<"$1"; }
declare -A rates
for round in $(seq "$rounds"); do
  for channel in slack telegram; do
    for format in text markdown; do
      out=$(NOTIBUS_LOAD_BODY=$body NOTIBUS_LOAD_FORMAT=$format \
        "$build/bench/notibus_load" "$work/$channel.yaml" "$n" 1000)
      echo "round $round $channel $format: $out"
      rates[$channel.$format]+="$(rate "$out") "
    done
  done
done
/usr/bin/python3 - "${rates[slack.text]}" "${rates[slack.markdown]}" "${rates[telegram.text]}" \
  "${rates[telegram.markdown]}" <<'PY'
import statistics, sys
runs = [[float(x) for x in a.split()] for a in sys.argv[1:]]
for name, text, markdown in (("slack", runs[0], runs[1]), ("telegram", runs[2], runs[3])):
    ratios = [m / t for m, t in zip(markdown, text)]
    print(f"{name}: text {statistics.median(text):.0f} msg/s, markdown {statistics.median(markdown):.0f} msg/s, "
          f"ratio (same round) median {statistics.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f}")
PY
