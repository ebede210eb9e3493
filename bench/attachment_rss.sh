#!/usr/bin/env bash
# Memory with a large attachment: `notibus serve` with a spool and 5 webhook
# channels (to a local nginx answering 204) takes one SIZE-byte file by
# multipart POST and delivers it to all 5. Prints the idle RSS, the peak
# (VmHWM), what the file added, the blob files the spool held, and whether
# the peak stayed under twice the file plus the idle floor.
#   bench/attachment_rss.sh [SIZE]   (default 20000000)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-20000000}
build=${NOTIBUS_BUILD_DIR:-$PWD/build/main}
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; kill $daemon 2>/dev/null || true; rm -rf "$work"' EXIT
source bench/nginx_stand_in.sh  # /hook answers 204
head -c "$size" /dev/urandom >"$work/big.bin"
api=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
{
  echo "version: 1"
  echo "plugin_dirs: [$build/plugins]"
  echo "spool: {dir: $work/spool}"
  echo "server: {listen: \"127.0.0.1:$api\", auth_token: t0ken-for-bench}"
  echo "channels:"
  for i in 1 2 3 4 5; do echo "  hook$i: {type: webhook, url: \"http://127.0.0.1:$port/hook\"}"; done
  echo "routes:"
  echo "  - to: [hook1, hook2, hook3, hook4, hook5]"
} >"$work/serve.yaml"
"$build/bin/notibus" serve -c "$work/serve.yaml" 2>"$work/serve.log" &
daemon=$!
for _ in $(seq 100); do grep -q "listening on" "$work/serve.log" && break; sleep 0.05; done
kb() { awk -v f="$1" '$1 == f":" { print $2 }' "/proc/$daemon/status"; }
idle=$(kb VmRSS)
id=$(curl -sS -H "Authorization: Bearer t0ken-for-bench" -F 'message={"body":"big"};type=application/json' \
  -F "file=@$work/big.bin;type=application/octet-stream" "http://127.0.0.1:$api/v1/messages" |
  sed -E 's/.*"id":"([^"]+)".*/\1/')
blobs=$(find "$work/spool/blobs" -type f | wc -l)
for _ in $(seq 200); do
  report=$(curl -sS -H "Authorization: Bearer t0ken-for-bench" "http://127.0.0.1:$api/v1/messages/$id")
  grep -q '"finished":true' <<<"$report" && break
  sleep 0.05
done
grep -q '"delivered":true' <<<"$report" || { echo "not delivered: $report" >&2; exit 1; }
peak=$(kb VmHWM)
added=$((peak - idle))
echo "file $size bytes to 5 channels: idle RSS $((idle / 1024)) MB, peak $((peak / 1024)) MB," \
  "added $((added / 1024)) MB ($(awk -v a="$added" -v s="$size" 'BEGIN { printf "%.2f", a * 1024 / s }')x the file)," \
  "blob files in the spool after the 202: $blobs"
(( added * 1024 < 2 * size )) && echo "  within 2x the file plus the idle floor" || echo "  OVER 2x the file"
