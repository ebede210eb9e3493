#!/usr/bin/env bash
# The FROM-scratch image, run with podman: a webhook delivery over TLS to a
# local HTTPS receiver whose certificate comes from a test CA added to the
# image's CA bundle (and nothing else: no ca_file in the config).
source "$(dirname "$0")/lib.sh"
src=$NOTIBUS_SOURCE_DIR
cd "$workdir"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout srv.key -out srv.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >srv.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile srv.ext \
  -out srv.pem 2>/dev/null
cat /etc/ssl/certs/ca-certificates.crt ca.pem >bundle.pem

expect_exit 0 env NOTIBUS_CA_BUNDLE="$workdir/bundle.pem" "$src/scripts/build-image"
cat "$workdir/out"

/usr/bin/python3 - "$workdir" >receiver.log 2>&1 <<'PY' &
import http.server, ssl, sys, os
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(os.path.join(d, "received"), "ab") as f:
            f.write(body + b"\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(d, "srv.pem"), os.path.join(d, "srv.key"))
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print("port", s.server_address[1], flush=True)
s.serve_forever()
PY
receiver=$!
trap 'kill $receiver 2>/dev/null; rm -rf "$workdir"' EXIT
for _ in $(seq 100); do grep -q '^port ' receiver.log && break; sleep 0.05; done
port=$(sed -n 's/^port //p' receiver.log)

cat >hook.yaml <<YAML
version: 1
channels:
  hook:
    type: webhook
    url: https://127.0.0.1:$port/hook
    retry: {max_attempts: 1}
routes:
  - to: [hook]
YAML
chmod 644 hook.yaml

# Podman on this kind of machine: private mount namespace, cgroup v1 manager,
# vfs storage inside the work dir, host network.
podman_run() {
  unshare -m --propagation private sh -c '
    umount /sys/fs/cgroup/unified 2>/dev/null
    P="podman --cgroup-manager cgroupfs --storage-driver vfs --events-backend file --root $1/podman/root --runroot $1/podman/run"
    $P load -q -i "$2" >/dev/null || exit 97
    shift 2
    exec $P run --rm --network host --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
      -v "$0/hook.yaml:/etc/notibus/hook.yaml:ro" --entrypoint /usr/bin/notibus localhost/notibus:latest "$@"
  ' "$workdir" "$workdir" "$src/build/image/notibus.oci.tar" "$@"
}

if podman_run plugins >/dev/null 2>&1; then
  expect_exit 0 podman_run send -c /etc/notibus/hook.yaml --title "from the image" --body "over TLS"
  expect_grep out "hook: delivered (1 attempt)"
  expect_exit 0 grep -q '"title":"from the image"' received
else
  # Podman cannot run here: run the image's root filesystem in a chroot instead.
  echo "podman unavailable; falling back to a chroot of the image's filesystem"
  mkdir -p rootfs
  mkdir -p rootfs-oci && tar -xf "$src/build/image/notibus.oci.tar" -C rootfs-oci
  for b in rootfs-oci/blobs/sha256/*; do gzip -t "$b" 2>/dev/null && tar -xzf "$b" -C rootfs; done
  mkdir -p rootfs/etc/notibus && cp hook.yaml rootfs/etc/notibus/hook.yaml
  expect_exit 0 chroot --userspec=65534:65534 rootfs /usr/bin/notibus send -c /etc/notibus/hook.yaml \
    --title "from the image" --body "over TLS"
  expect_exit 0 grep -q '"title":"from the image"' received
fi
finish
