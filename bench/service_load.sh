#!/usr/bin/env bash
# A service channel against the plain webhook channel: the same nginx stand-in,
# the same load driver, 50 requests in flight, rounds taken in turn. Slack's
# definition answers by its body ("ok"), Telegram's parses a JSON answer and
# composes escaped HTML text, so they cover the engine's cheap and dear paths;
# DingTalk signs each request with HMAC-SHA256, SNS with AWS Signature
# Version 4 and answers in XML (the signed services of the definition format).
# Prints each run and the median ratio of each service to the webhook.
#   bench/service_load.sh [N] [ROUNDS]   (default 20000, 5; needs build/main)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
rounds=${2:-5}
inflight=50
build=${NOTIBUS_BUILD_DIR:-$PWD/build/main}
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

source bench/nginx_stand_in.sh

config() {  # name, channel lines
  cat >"$work/$1.yaml" <<YAML
version: 1
plugin_dirs: [$build/plugins]
status: {max_entries: 1000}
channels:
  sink:
$2
    max_inflight: $inflight
    queue: {capacity: $((n + 1))}
routes:
  - to: [sink]
YAML
}
config webhook "    type: webhook
    url: http://127.0.0.1:$port/hook"
config slack "    type: slack
    webhook_url: http://127.0.0.1:$port/services/T1/B2/token"
config telegram "    type: telegram
    bot_token: \"1:token\"
    chat_id: \"-100\"
    api_url: http://127.0.0.1:$port"
config dingtalk "    type: dingtalk
    access_token: token
    secret: SEC0123456789abcdef0123456789abcdef
    api_url: http://127.0.0.1:$port"
config sns "    type: sns
    access_key: AKIDEXAMPLE
    secret_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
    region: us-east-1
    topic_arn: arn:aws:sns:us-east-1:123456789012:ops
    api_url: http://127.0.0.1:$port/sns"

rate() { sed -E 's/.*= ([0-9]+) msg\/s.*/\1/' <<<"$1"; }
declare -A rates
for round in $(seq "$rounds"); do
  for channel in webhook slack telegram dingtalk sns; do
    out=$("$build/bench/notibus_load" "$work/$channel.yaml" "$n" 1000)
    echo "round $round $channel: $out"
    rates[$channel]+="$(rate "$out") "
  done
done
/usr/bin/python3 - "${rates[webhook]}" "${rates[slack]}" "${rates[telegram]}" "${rates[dingtalk]}" \
  "${rates[sns]}" <<'PY'
import statistics, sys
webhook, slack, telegram, dingtalk, sns = ([float(x) for x in a.split()] for a in sys.argv[1:])
for name, runs in (("slack", slack), ("telegram", telegram), ("dingtalk", dingtalk), ("sns", sns)):
    ratios = [s / w for s, w in zip(runs, webhook)]
    print(f"{name}: median {statistics.median(runs):.0f} msg/s, webhook {statistics.median(webhook):.0f} msg/s, "
          f"ratio (same round) median {statistics.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f}")
PY
