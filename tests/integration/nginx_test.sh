#!/usr/bin/env bash
# The webhook channel against nginx, a stock HTTP/1.1 server: a delivery that
# nginx logs, and a 404 with its body as a permanent failure.
source "$(dirname "$0")/lib.sh"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $nginx_bin ]] || { echo "nginx is not installed (scripts/setup installs it)"; exit 1; }
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$workdir/nginx/logs"
cat >"$workdir/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $workdir/nginx/nginx.pid;
error_log $workdir/nginx/logs/error.log;
events { worker_connections 64; }
http {
  access_log $workdir/nginx/logs/access.log combined;
  log_format conn '\$request_method \$uri \$status';
  client_body_temp_path $workdir/nginx/body;
  server {
    listen 127.0.0.1:$port;
    access_log $workdir/nginx/logs/conn.log conn;
    location = /hook { return 204; }
    location / { return 404 "no such hook"; }
  }
}
CONF
"$nginx_bin" -p "$workdir/nginx" -c "$workdir/nginx/nginx.conf" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$workdir"' EXIT
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done

cat >"$workdir/hook.yaml" <<YAML
version: 1
plugin_dirs: [$NOTIBUS_BUILD_DIR/plugins]
channels:
  hook: {type: webhook, url: "http://127.0.0.1:$port/hook"}
  missing: {type: webhook, url: "http://127.0.0.1:$port/nope"}
routes:
  - to: [hook]
YAML
expect_exit 0 "$NOTIBUS_BIN" send -c "$workdir/hook.yaml" --body "to nginx"
expect_grep out "hook: delivered (1 attempt)"
expect_exit 1 "$NOTIBUS_BIN" send -c "$workdir/hook.yaml" --channel missing --body "to nowhere"
expect_grep err "missing: failed (1 attempt): HTTP 404: no such hook"
sleep 0.2
expect_exit 0 grep -q "^POST /hook 204" "$workdir/nginx/logs/conn.log"
finish
