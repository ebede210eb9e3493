#!/usr/bin/env bash
# Installs notibus to a temporary prefix, then builds out of tree against it:
# the third-party channel in examples/custom-channel (headers only) and
# examples/embed (find_package and pkg-config), and delivers through both.
source "$(dirname "$0")/lib.sh"
prefix=$workdir/prefix
src=$NOTIBUS_SOURCE_DIR

expect_exit 0 cmake --install "$NOTIBUS_BUILD_DIR" --prefix "$prefix"
expect_exit 0 test -f "$prefix/lib/cmake/notibus/notibusConfig.cmake"
expect_exit 0 test -f "$prefix/include/notibus/plugin/abi.h"
# One version everywhere: the program, the generated header, pkg-config.
project_version=$(sed -nE 's/^project\(notibus VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
expect_exit 0 "$prefix/bin/notibus" --version
expect_grep out "notibus $project_version"
expect_exit 0 grep -F "#define NOTIBUS_VERSION_STRING \"$project_version\"" "$prefix/include/notibus/version.hpp"
expect_exit 0 env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --modversion notibus
expect_grep out "$project_version"

# An application that publishes includes the bus, not the plugin SDK.
expect_exit 0 bash -c "echo '#include <notibus/bus.hpp>' | c++ -std=c++20 -x c++ -M -I'$prefix/include' -"
checks=$((checks + 1))
grep -q "plugin/sdk.hpp" "$workdir/out" && { failures=$((failures + 1)); echo "FAIL: notibus/bus.hpp includes the plugin SDK"; }

# The installed program finds its own modules (prefix/lib/notibus) with no
# plugin_dirs: it lists them with where they came from, and delivers through
# the webhook module to a receiver here.
expect_exit 0 env -u NOTIBUS_PLUGIN_PATH "$prefix/bin/notibus" plugins
for channel in webhook email callmebot service; do
  expect_grep out "$prefix/lib/notibus/libnotibus-channel-$channel.so"
done
expect_grep out "telegram"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 - "$port" "$workdir/received" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        open(sys.argv[2], "wb").write(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
receiver=$!
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
cat >"$workdir/hook.yaml" <<YAML
version: 1
channels:
  hook: {type: webhook, url: "http://127.0.0.1:$port/hook"}
routes:
  - to: [hook]
YAML
expect_exit 0 env -u NOTIBUS_PLUGIN_PATH "$prefix/bin/notibus" send -c "$workdir/hook.yaml" --body "from the install"
expect_grep out "hook: delivered (1 attempt)"
kill "$receiver"
checks=$((checks + 1))
grep -q '"body":"from the install"' "$workdir/received" || { failures=$((failures + 1)); echo "FAIL: the receiver got no message"; }

# The custom channel: three lines of CMake (find_package,
# notibus_add_channel_module, install) against the installed headers only.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
expect_exit 0 cmake -S "$src/examples/custom-channel" -B "$workdir/channel" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}"
expect_exit 0 cmake --build "$workdir/channel"
expect_exit 0 test -f "$workdir/channel/libnotibus-channel-dropdir.so"

cat >"$workdir/custom.yaml" <<YAML
version: 1
plugin_dirs: [$workdir/channel]
channels:
  drop: {type: dropdir, dir: $workdir/drop}
routes:
  - to: [drop]
YAML
expect_exit 0 "$prefix/bin/notibus" plugins -c "$workdir/custom.yaml" --describe dropdir
expect_grep out "dir (string) required"
expect_exit 0 "$prefix/bin/notibus" send -c "$workdir/custom.yaml" --title hi --body "through a module"
expect_grep out "drop: delivered (1 attempt)"
count=$(ls "$workdir/drop/new" 2>/dev/null | wc -l)
checks=$((checks + 1))
if [[ $count -ne 1 ]] || ! grep -q '"body":"through a module","priority":"normal","tags":\[\]' "$workdir"/drop/new/*.json; then
  failures=$((failures + 1))
  echo "FAIL: dropdir holds $count files"
fi

# Installed into notibus's module folder, the host finds it with no plugin_dirs.
expect_exit 0 cmake --install "$workdir/channel"
expect_exit 0 test -f "$prefix/lib/notibus/libnotibus-channel-dropdir.so"
grep -v '^plugin_dirs' "$workdir/custom.yaml" >"$workdir/custom-installed.yaml"
expect_exit 0 env -u NOTIBUS_PLUGIN_PATH "$prefix/bin/notibus" send -c "$workdir/custom-installed.yaml" --body "installed"
expect_grep out "drop: delivered (1 attempt)"

# The embedding example, out of tree with find_package(notibus CONFIG).
expect_exit 0 cmake -S "$src/examples/embed" -B "$workdir/embed" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}"
expect_exit 0 cmake --build "$workdir/embed"
expect_exit 0 "$workdir/embed/notibus_embed"
expect_grep out "screen: delivered"

# And once with pkg-config.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
expect_exit 0 bash -c "g++ -O1 -o '$workdir/embed-pc' '$src/examples/embed/main.cpp' \
  \$(pkg-config --cflags --libs --static notibus)"
expect_exit 0 "$workdir/embed-pc"
expect_grep out "screen: delivered"

# The HTTP API embedded (notibus::server), built above out of tree: it serves
# the bus on the config's server.listen behind its token until SIGTERM.
http_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$workdir/serve.yaml" <<YAML
version: 1
plugin_dirs: [$prefix/lib/notibus]  # a program outside the prefix names the module folder
server: {listen: "127.0.0.1:$http_port", auth_token: tok-installed}
channels:
  drop: {type: dropdir, dir: $workdir/drop-http}
routes:
  - to: [drop]
YAML
"$workdir/embed/notibus_embed_serve" "$workdir/serve.yaml" >"$workdir/serve.out" 2>&1 &
served=$!
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$http_port) 2>/dev/null && break; sleep 0.05; done
expect_exit 0 /usr/bin/python3 - "$http_port" <<'PY'
import json, sys, time, urllib.request, urllib.error
base = "http://127.0.0.1:%s" % sys.argv[1]
def post(token):
    req = urllib.request.Request(base + "/v1/messages", data=b'{"topic":"t","body":"over http"}',
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, None
assert post("wrong")[0] == 401
status, body = post("tok-installed")
assert status == 202, status
req = urllib.request.Request(base + "/v1/messages/" + body["id"],
                             headers={"Authorization": "Bearer tok-installed"})
for _ in range(200):
    state = json.load(urllib.request.urlopen(req))["channels"][0]["state"]
    if state == "delivered":
        break
    time.sleep(0.02)
assert state == "delivered", state
PY
kill -TERM "$served"
wait "$served"
rc=$?
checks=$((checks + 1))
[[ $rc -eq 0 ]] || { failures=$((failures + 1)); echo "FAIL: notibus_embed_serve did not stop cleanly"; cat "$workdir/serve.out"; }
count=$(ls "$workdir/drop-http/new" 2>/dev/null | wc -l)
checks=$((checks + 1))
[[ $count -eq 1 ]] || { failures=$((failures + 1)); echo "FAIL: the embedded server delivered $count messages"; }
expect_exit 0 bash -c "g++ -O1 -o '$workdir/serve-pc' '$src/examples/embed/serve.cpp' \
  \$(pkg-config --cflags --libs --static notibus-server)"

# The notibus program itself, built like a user's program: out of tree,
# public headers only, against the install. It delivers through the installed
# dropdir module and lists a spool's dead letters as JSON.
expect_exit 0 cmake -S "$src/examples/daemon" -B "$workdir/program" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}"
expect_exit 0 cmake --build "$workdir/program"
expect_exit 0 env NOTIBUS_PLUGIN_PATH="$prefix/lib/notibus" "$workdir/program/bin/notibus" send \
  -c "$workdir/custom-installed.yaml" --body "from the program built out of tree"
expect_grep out "drop: delivered (1 attempt)"
cat >"$workdir/spooled.yaml" <<YAML
version: 1
spool: {dir: $workdir/spool}
channels:
  drop: {type: dropdir, dir: $workdir/drop}
routes:
  - to: [drop]
YAML
expect_exit 0 env NOTIBUS_PLUGIN_PATH="$prefix/lib/notibus" "$workdir/program/bin/notibus" \
  dead-letters list -c "$workdir/spooled.yaml" --json
expect_grep out "[]"

finish
