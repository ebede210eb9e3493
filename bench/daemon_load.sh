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
source bench/daemon_post.sh
daemon_post_setup

declare -a results
for round in $(seq "$rounds"); do
  for i in "${!bins[@]}"; do
    r=$(daemon_post_run "${bins[$i]}" "$duration")
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
