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
export NOTIBUS_BUILD_DIR=${NOTIBUS_BUILD_DIR:-$PWD/build/main} NOTIBUS_SOURCE_DIR=$PWD
source tests/integration/npm_peers.sh
peers=$(npm_peers)
cp bench/console_open.mjs "$peers/"
source bench/daemon_post.sh
daemon_post_setup

open_console() {  # base URL -> the browser's pid, once the page is logged in and polling
  node "$peers/console_open.mjs" "$1" "$DAEMON_POST_TOKEN" >"$daemon_post_work/console.log" 2>&1 &
  local pid=$!
  for _ in $(seq 200); do grep -q '^open' "$daemon_post_work/console.log" && break; sleep 0.1; done
  echo "$pid"
}

without="" with=""
for round in $(seq "$rounds"); do
  a=$(daemon_post_run "$bin" "$duration"); b=$(daemon_post_run "$bin" "$duration" open_console)
  echo "round $round: without console $a req/s, with console open $b req/s"
  without+="$a "; with+="$b "
done
/usr/bin/python3 - "$without" "$with" <<'PY'
import statistics, sys
a = statistics.median(float(x) for x in sys.argv[1].split())
b = statistics.median(float(x) for x in sys.argv[2].split())
print(f"median without console {a:.0f} req/s, with console open {b:.0f} req/s, ratio {b / a:.3f}")
PY
