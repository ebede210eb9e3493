"""Shared parts of the shared-queue tests (issue #15): a real nats-server
cluster with JetStream, `notibus serve` instances on it, and a receiver that
counts webhook deliveries by webhook-id. Everything on 127.0.0.1."""
import collections
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request

BIN = os.environ["NOTIBUS_BIN"]
PLUGINS = os.path.join(os.environ.get("NOTIBUS_BUILD_DIR", "."), "plugins")
NATS_SERVER = shutil.which("nats-server") or "/usr/bin/nats-server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, predicate, timeout=60.0, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class NatsCluster:
    """N nats-server nodes with JetStream, clustered (N > 1) over routes."""

    def __init__(self, tmp, nodes=3, extra=""):
        self.tmp = tmp
        self.ports = [free_port() for _ in range(nodes)]
        self.cluster_ports = [free_port() for _ in range(nodes)]
        self.http_ports = [free_port() for _ in range(nodes)]
        self.procs = [None] * nodes
        self.configs = []
        for i in range(nodes):
            routes = ", ".join(f"nats-route://127.0.0.1:{p}" for j, p in enumerate(self.cluster_ports) if j != i)
            cluster = (f"cluster {{ name: notibus, listen: 127.0.0.1:{self.cluster_ports[i]}, routes: [{routes}] }}"
                       if nodes > 1 else "")
            path = os.path.join(tmp, f"nats{i}.conf")
            with open(path, "w") as f:
                f.write(f"""server_name: n{i}
listen: 127.0.0.1:{self.ports[i]}
http: 127.0.0.1:{self.http_ports[i]}
jetstream {{ store_dir: "{tmp}/js{i}" }}
{cluster}
{extra}
""")
            self.configs.append(path)

    @property
    def urls(self):
        return [f"nats://127.0.0.1:{p}" for p in self.ports]

    def start(self, i=None):
        for n in ([i] if i is not None else range(len(self.ports))):
            log = open(os.path.join(self.tmp, f"nats{n}.log"), "a")
            self.procs[n] = subprocess.Popen([NATS_SERVER, "-c", self.configs[n]], stdout=log, stderr=log)

    def kill(self, i, sig=signal.SIGKILL):
        p = self.procs[i]
        if p and p.poll() is None:
            p.send_signal(sig)
            p.wait()
        self.procs[i] = None

    def healthy(self, i):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_ports[i]}/healthz", timeout=1) as r:
                return r.status == 200
        except Exception:
            return False

    def wait_healthy(self, timeout=60):
        for i, p in enumerate(self.procs):
            if p:
                wait_until(f"nats node {i} healthy", lambda i=i: self.healthy(i), timeout)

    def consumer_leader(self, stream="NOTIBUS", consumer="notibus"):
        """The index of the node leading the shared consumer (None if unknown)."""
        for i, p in enumerate(self.procs):
            if not p:
                continue
            try:
                url = f"http://127.0.0.1:{self.http_ports[i]}/jsz?accounts=true&streams=true&consumers=true"
                with urllib.request.urlopen(url, timeout=2) as r:
                    jsz = json.load(r)
            except Exception:
                continue
            for account in jsz.get("account_details", []):
                for st in account.get("stream_detail", []):
                    if st.get("name") != stream:
                        continue
                    for c in st.get("consumer_detail", []):
                        leader = (c.get("cluster") or {}).get("leader", "")
                        if c.get("name") == consumer and leader.startswith("n"):
                            return int(leader[1:])
        return None

    def stop_all(self):
        for i in range(len(self.procs)):
            self.kill(i, signal.SIGTERM)


class Receiver:
    """Counts deliveries by webhook-id. Messages whose body holds SLOW_MARK are
    held for `slow_seconds` the first time each is delivered (a long send);
    RETRY_MARK ones are refused the first time with 429 and Retry-After: 2."""

    SLOW_MARK = b"slow-delivery"
    RETRY_MARK = b"come-back-later"  # the first delivery gets 429 with Retry-After: 2

    def __init__(self, slow_seconds=0.0, status=204):
        self.counts = collections.Counter()
        self.started = collections.Counter()
        self.lock = threading.Lock()
        self.slow_seconds = slow_seconds
        self.status = status
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                wid = self.headers.get("webhook-id", "")
                with receiver.lock:
                    receiver.started[wid] += 1
                    first = receiver.started[wid] == 1
                if first and receiver.SLOW_MARK in body and receiver.slow_seconds:
                    time.sleep(receiver.slow_seconds)
                if first and receiver.RETRY_MARK in body:
                    self.send_response(429)
                    self.send_header("Retry-After", "2")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if receiver.status >= 400:
                    self.send_response(receiver.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.counts[wid] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # an instance was killed mid-request: expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self):
        with self.lock:
            return collections.Counter(self.counts)


def instance_config(path, listen_port, servers, receiver_port, replicas, ack_wait="3s", extra_queue="",
                    max_held=200):
    dead_port = free_port()  # nothing listens there: the `dead` channel fails at once
    with open(path, "w") as f:
        f.write(f"""version: 1
plugin_dirs: [{PLUGINS}]
queue:
  servers: [{", ".join(servers)}]
  stream: NOTIBUS
  replicas: {replicas}
  consumer: notibus
  ack_wait: {ack_wait}
  max_held: {max_held}
{extra_queue}
server: {{listen: "127.0.0.1:{listen_port}", shutdown_grace: 2s}}
channels:
  hook:
    type: webhook
    url: http://127.0.0.1:{receiver_port}/hook
    max_inflight: 16
    signing: {{secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}}  # sends webhook-id
    retry: {{initial_backoff: 50ms, max_backoff: 500ms, max_attempts: 100}}
  dead:
    type: webhook
    url: http://127.0.0.1:{dead_port}/nobody
    retry: {{max_attempts: 1}}
routes:
  - match: {{topic: [api, slow, later]}}
    to: [hook]
""")


class Instance:
    """One `notibus serve` on the shared queue."""

    def __init__(self, tmp, name, servers, receiver_port, replicas, **kw):
        self.name = name
        self.port = free_port()
        self.config = os.path.join(tmp, f"{name}.yaml")
        self.logpath = os.path.join(tmp, f"{name}.log")
        instance_config(self.config, self.port, servers, receiver_port, replicas, **kw)
        self.proc = None

    def start(self, timeout=60):
        """Starts it and waits until it answers /readyz; retried while the
        cluster is still electing leaders (start-up then fails, clearly)."""
        deadline = time.monotonic() + timeout
        while True:
            log = open(self.logpath, "a")
            self.proc = subprocess.Popen([BIN, "--log-level", "warn", "serve", "-c", self.config],
                                         stdout=log, stderr=log)
            try:
                wait_until(f"{self.name} ready", lambda: self.ready() or self.proc.poll() is not None, 30)
            except AssertionError:
                pass
            if self.ready():
                return
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not start; see {self.logpath}")
            time.sleep(0.5)

    def ready(self):
        try:
            return self.request("GET", "/readyz")[0] == 200
        except OSError:
            return False

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def request(self, method, path, body=None, headers=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = json.dumps(body) if body is not None else None
            h = {"Content-Type": "application/json"} if data else {}
            h.update(headers or {})
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            raw = r.read()
            return r.status, (json.loads(raw) if raw and r.getheader("Content-Type", "").startswith("application/json") else raw), dict(r.getheaders())
        finally:
            conn.close()

    def metric(self, name):
        status, text, _ = self.request("GET", "/metrics")
        for line in text.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None
