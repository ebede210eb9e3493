#!/usr/bin/env bash
# Webhook signatures checked by the npm `standardwebhooks` package: notibus's
# requests verify, and the same request with a tampered body does not.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/npm_peers.sh"
peers=$(npm_peers) || { echo "cannot install the npm test peers"; exit 1; }
secret="whsec_$(head -c 32 /dev/urandom | base64)"

node "$peers/verify_receiver.mjs" "$secret" >"$workdir/receiver.log" 2>&1 &
receiver=$!
trap 'kill $receiver 2>/dev/null; rm -rf "$workdir"' EXIT
for _ in $(seq 100); do grep -q '^port ' "$workdir/receiver.log" && break; sleep 0.05; done
port=$(sed -n 's/^port //p' "$workdir/receiver.log")

cat >"$workdir/hook.yaml" <<YAML
version: 1
plugin_dirs: [$NOTIBUS_BUILD_DIR/plugins]
channels:
  hook:
    type: webhook
    url: http://127.0.0.1:$port/hook
    signing: {secret: "\${HOOK_SECRET}"}
    retry: {max_attempts: 1}
routes:
  - to: [hook]
YAML
export HOOK_SECRET=$secret
expect_exit 0 "$NOTIBUS_BIN" send -c "$workdir/hook.yaml" --title 'Signed "title"' --body $'body with ✓ and\nnewline'
expect_grep out "hook: delivered (1 attempt)"
expect_no_grep err "$secret"

# Replay the captured request: unchanged it verifies, with one byte changed it must not.
/usr/bin/python3 - "$workdir/receiver.log" "$port" <<'PY' >"$workdir/replay.out" 2>&1
import json, sys, urllib.request
line = next(l for l in open(sys.argv[1]) if l.startswith("{"))
seen = json.loads(line)
assert seen["valid"], seen
h = {k: v for k, v in seen["headers"].items() if k.startswith("webhook-") or k == "content-type"}
def post(body):
    req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[2]}/hook", body.encode(), h, method="POST")
    try:
        return urllib.request.urlopen(req).status
    except urllib.error.HTTPError as e:
        return e.code
print("unchanged", post(seen["body"]))
print("tampered", post(seen["body"].replace("Signed", "Signeb")))
PY
expect_exit 0 grep -q "unchanged 204" "$workdir/replay.out"
expect_exit 0 grep -q "tampered 400" "$workdir/replay.out"
[[ $failures -eq 0 ]] || cat "$workdir/replay.out" "$workdir/receiver.log"
finish
