#!/usr/bin/env bash
# bench/plot draws the README's figure from saved figures in one command:
# the committed data gives an SVG with both clients, the ratios and the setup
# line, and data from a run with failed messages or none is refused.
source "$(dirname "$0")/lib.sh"
plot=$NOTIBUS_SOURCE_DIR/bench/plot

expect_exit 0 "$plot" --replot "$NOTIBUS_SOURCE_DIR/bench/side-by-side.dat" "$workdir/figure.svg"
expect_grep out "wrote $workdir/figure.svg"
cp "$workdir/figure.svg" "$workdir/out"
expect_grep out "<svg"
expect_grep out "undici"
expect_grep out "nodemailer"
expect_grep out "messages per second"
expect_grep out "peak RSS in MB"

cat >"$workdir/made-up.dat" <<'DAT'
# bench/plot, 2026-01-02, 4 cores; rates in messages/s, peak RSS in MB
# setup: a made-up run
# case notibus_rate notibus_rss baseline baseline_rate baseline_rss
"webhook (HTTP)" 30000 5.0 undici 10000 100.0
"e-mail (SMTP)" 20000 10.0 nodemailer 100 50.0
DAT
expect_exit 0 "$plot" --replot "$workdir/made-up.dat" "$workdir/made-up.svg"
cp "$workdir/made-up.svg" "$workdir/out"
expect_grep out "3.0× undici"
expect_grep out "200× nodemailer"
expect_grep out "5% of undici"
expect_grep out "2026-01-02, 4 cores"
expect_grep out "a made-up run"

: >"$workdir/empty.dat"
expect_exit 1 "$plot" --replot "$workdir/empty.dat" "$workdir/empty.svg"
expect_grep err "no figures in $workdir/empty.dat"
finish
