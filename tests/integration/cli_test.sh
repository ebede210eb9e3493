#!/usr/bin/env bash
# `notibus check`, `plugins` and `send`: outputs and exit codes (DESIGN.md section 6).
source "$(dirname "$0")/lib.sh"
bin=$NOTIBUS_BIN
cd "$workdir"

cat >good.yaml <<YAML
version: 1
plugin_dirs: [$NOTIBUS_TEST_MODULES/fault]
channels:
  archive: {type: file, path: $workdir/out.jsonl}
  broken: {type: fault, mode: permanent}
  flaky: {type: fault, mode: transient, fail_times: 1, retry: {initial_backoff: 10ms}}
  secretive: {type: fault, token: "\${NOTIBUS_CLI_TOKEN}"}
routes:
  - match: {topic: "fail.*"}
    to: [broken]
  - to: [archive]
YAML
export NOTIBUS_CLI_TOKEN=tok-do-not-print

# --version says the project's version (CMakeLists.txt is where it is set).
project_version=$(sed -nE 's/^project\(notibus VERSION ([0-9.]+).*/\1/p' "$NOTIBUS_SOURCE_DIR/CMakeLists.txt")
expect_exit 0 "$bin" --version
expect_grep out "notibus $project_version"

# Every command takes --help: its own usage on stdout, exit 0.
for command in serve check plugins send dead-letters; do
  expect_exit 0 "$bin" "$command" --help
  expect_grep out "  $command "
done
expect_exit 0 "$bin" send -h
expect_grep out "--to URL"
expect_grep out "--idempotency-key K"
expect_exit 0 "$bin" --help
expect_grep out "COMMAND --help"

expect_exit 0 "$bin" check -c good.yaml
expect_grep out "good.yaml: ok (4 channels, 2 routes)"

cat >bad.yaml <<'YAML'
version: 1
channels:
  a: {type: file}
  b: {type: console, timeout: soon}
routes:
  - to: [c]
YAML
expect_exit 2 "$bin" check -c bad.yaml
expect_grep err 'bad.yaml:3:6: channels.a: missing required key "path"'
expect_grep err 'bad.yaml:4:31: channels.b.timeout: expected a duration'

expect_grep err 'bad.yaml:6:9: routes[0].to: unknown channel "c"'
expect_grep err "3 errors in bad.yaml"

# A route an earlier one shadows loads, with a warning naming both.
cat >shadow.yaml <<YAML
version: 1
channels:
  a: {type: file, path: $workdir/a.jsonl}
  b: {type: file, path: $workdir/b.jsonl}
routes:
  - match: {topic: "alerts.*"}
    to: [a]
  - match: {topic: alerts.disk, min_priority: high}
    to: [b]
  - match: {topic: "alerts.*"}
    to: [a]
    continue: true
  - match: {topic: other}
    to: [b]
YAML
expect_exit 0 "$bin" check -c shadow.yaml
expect_grep err "warning: shadow.yaml:8:5: routes[1]: never matches: routes[0] comes first without continue: true"
expect_no_grep err "routes[3]"
expect_grep out "shadow.yaml: ok (2 channels, 4 routes)"

# What reaches the terminal is escaped, the file's name included: ESC, BEL,
# CR-LF and a bidi override could otherwise redraw it or forge an "ok" line.
ctl=$'ctl\e]0;owned\a\r\ngood.yaml: ok\u202e.yaml'
printf 'version: 1\nchannels:\n  b: {type: console, timeout: "\\e[2J\\u202e"}\n' >"$ctl"
expect_exit 2 "$bin" check -c "$ctl"
expect_grep err 'ctl\x1b]0;owned\x07\r\ngood.yaml: ok\u202e.yaml:3:31: channels.b.timeout'
expect_grep err 'got "\x1b[2J\u202e"'
expect_no_grep err $'\e'
expect_no_grep err $'\a'
expect_no_grep err $'\u202e'
expect_exit 2 "$bin" check -c "$ctl.missing"
expect_no_grep err $'\e'

expect_exit 2 "$bin" check -c missing.yaml
expect_grep err "missing.yaml: cannot read the file"

# send: routed by topic, to the file channel.
expect_exit 0 "$bin" send -c good.yaml --topic app.deploy --title "Deployed" --priority high \
  --tag prod --attr version=1.2 --body 'line "one"
line two ✓'
expect_grep out "archive: delivered (1 attempt)"
/usr/bin/python3 - "$workdir/out.jsonl" <<'PY' || { failures=$((failures + 1)); echo "FAIL: file channel JSON"; }
import json, sys
m = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert m["title"] == "Deployed" and m["priority"] == "high", m
assert m["body"] == 'line "one"\nline two ✓', m
assert m["tags"] == ["prod"] and m["attributes"] == {"version": "1.2"}, m
assert len(m["id"]) == 26, m
PY

# A permanent failure: exit 1, reason on stderr.
expect_exit 1 "$bin" send -c good.yaml --topic fail.now --body x
expect_grep err "broken: failed (1 attempt): scripted permanent failure"

# Explicit channels bypass routes; a retried delivery still counts as delivered.
expect_exit 0 "$bin" send -c good.yaml --channel flaky --body x
expect_grep out "flaky: delivered (2 attempts)"

# JSON logs: one object per line, retries and outcomes logged, secrets never.
expect_exit 0 "$bin" --log-format json --log-level debug send -c good.yaml --channel flaky \
  --channel secretive --body x
expect_grep err '"level":"info"'
expect_grep err 'attempt 1 failed: scripted transient failure 1; retry in'
expect_grep err 'delivered (attempt 2)'
/usr/bin/python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()]' \
  "$workdir/err" || { failures=$((failures + 1)); echo "FAIL: log lines are not JSON"; }
expect_no_grep err "tok-do-not-print"

expect_exit 2 "$bin" send -c good.yaml --channel nope --body x
expect_grep err 'no channel "nope"'
expect_exit 2 "$bin" send -c good.yaml
expect_grep err "send needs --body"
expect_exit 2 "$bin" send -c good.yaml --priority extreme --body x
expect_exit 2 "$bin" frobnicate
expect_exit 2 "$bin" send -c bad.yaml --body x

# plugins: the list, a description, JSON; secrets never shown.
expect_exit 0 "$bin" plugins
expect_grep out "console"
expect_grep out "file"
expect_exit 0 "$bin" plugins -c good.yaml --describe fault
expect_grep out "token (string) secret"
# The keys every channel has come from the core's own table, defaults included.
expect_grep out "common to every channel (checked by notibus itself):"
expect_grep out "timeout (duration) default 30s"
expect_grep out "queue.overflow (enum: reject|drop_oldest) default reject"
expect_grep out "Attempts before giving up; the plugin's default, else 5."
expect_exit 0 "$bin" plugins --plugin-dir "$NOTIBUS_TEST_MODULES/fault" --describe fault --json
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["name"]=="fault"; assert any(o["key"]=="token" and o["secret"] for o in d["options"]); assert any(o["key"]=="queue.capacity" and o["default"]=="10000" for o in d["common_options"])' "$workdir/out" ||
  { failures=$((failures + 1)); echo "FAIL: describe --json"; }
expect_exit 2 "$bin" plugins --describe nope
# What each channel type takes of a message's files: the fault plugin none, Discord its definition's.
expect_exit 0 "$bin" plugins -c good.yaml --describe fault
expect_grep out "attachments: none (omitted, or failed with attachments: fail)"
expect_exit 0 "$bin" plugins --describe discord
expect_grep out "attachments: up to 10 per message, 10485760 bytes each"
for f in out err; do expect_no_grep $f "tok-do-not-print"; done

# Values that ${file:...} and ${VAR} put into the config never reach `check`'s
# errors, whether a channel plugin or a route check writes them (issue 17).
if [[ -f "$NOTIBUS_BUILD_DIR/plugins/libnotibus-channel-email.so" ]]; then
  printf 'root:x:0:0:root-shadow-line\n' >secret.txt
  export NOTIBUS_ROUTE_SECRET=env-secret-value-123
  cat >leaky.yaml <<YAML
version: 1
plugin_dirs: [$NOTIBUS_BUILD_DIR/plugins]
channels:
  m: {type: email, host: smtp.example.com, from: a@example.com, to: "\${file:$workdir/secret.txt}"}
routes:
  - to: [m, "\${NOTIBUS_ROUTE_SECRET}"]
YAML
  expect_exit 2 "$bin" check -c leaky.yaml
  expect_grep err "channels.m.to: not an address: <redacted>"
  expect_grep err "routes[0].to: unknown channel (a name filled in by \${...})"
  expect_no_grep err "root-shadow-line"
  expect_no_grep err "env-secret-value-123"
fi

finish
