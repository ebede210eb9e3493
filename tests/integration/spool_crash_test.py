#!/usr/bin/python3
"""Crash test for the spool (issue #7): `notibus serve` with a spool and a
webhook channel to a local counting receiver; clients post MESSAGES messages
with idempotency keys (re-posting after a failed request, as a real client
would) while the daemon is killed with SIGKILL at KILLS random moments and
restarted each time.

Then: every message answered 202 (or 200 duplicate) reached the receiver
(0 lost); duplicates <= kills x max_inflight; deduplicated by webhook-id,
exactly one of each.

  spool_crash_test.py [MESSAGES] [KILLS]       (defaults 10000 and 20)
CRASH_MAX_BYTES=N caps the spool (small segments, so compaction runs all the
time); CRASH_FLAKY=1 makes the receiver answer 503 six times to one message in
25, so those retry for about a second and get carried forward to newer
segments while the others finish.
Needs NOTIBUS_BIN (the notibus binary) in the environment, and NOTIBUS_BUILD_DIR
when the webhook channel is a module (BUILD/plugins).
"""
import collections
import http.client
import http.server
import json
import os
import zlib
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.environ["NOTIBUS_BIN"]
MESSAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
KILLS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
MAX_BYTES = int(os.environ.get("CRASH_MAX_BYTES", "0"))
FLAKY = os.environ.get("CRASH_FLAKY") == "1"
CLIENTS = 8
MAX_INFLIGHT = 8


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """Counts deliveries by webhook-id."""

    def __init__(self):
        self.counts = collections.Counter()
        self.refused = collections.Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                wid = self.headers["webhook-id"]
                with receiver.lock:
                    flaky = FLAKY and zlib.crc32(wid.encode()) % 25 == 0
                    refuse = flaky and receiver.refused[wid] < 6
                    if refuse:
                        receiver.refused[wid] += 1
                    else:
                        receiver.counts[wid] += 1
                if refuse:
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # the daemon was killed mid-request: expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self):
        with self.lock:
            return collections.Counter(self.counts)


class Daemon:
    def __init__(self, tmp, receiver_port):
        self.port = free_port()
        self.config = os.path.join(tmp, "notibus.yaml")
        self.log = open(os.path.join(tmp, "daemon.log"), "a")
        with open(self.config, "w") as f:
            f.write(f"""version: 1
plugin_dirs: [{os.environ.get("NOTIBUS_BUILD_DIR", ".")}/plugins]
spool: {{dir: {tmp}/spool, fsync: always{f", max_bytes: {MAX_BYTES}" if MAX_BYTES else ""}}}
server: {{listen: "127.0.0.1:{self.port}", shutdown_grace: 5s}}
channels:
  hook:
    type: webhook
    url: http://127.0.0.1:{receiver_port}/hook
    max_inflight: {MAX_INFLIGHT}
    signing: {{secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}}  # sends webhook-id
    retry: {{initial_backoff: 50ms, max_backoff: 200ms, max_attempts: 50}}
routes:
  - to: [hook]
""")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([BIN, "--log-level", "warn", "serve", "-c", self.config],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("the daemon exited; see daemon.log")
                time.sleep(0.01)
        raise RuntimeError("the daemon did not start")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def client(daemon, keys, acked, lock):
    conn = None
    for key in keys:
        body = json.dumps({"topic": "crash", "body": f"message {key}", "idempotency_key": key})
        while True:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
                conn.request("POST", "/v1/messages", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
                if r.status in (200, 202):
                    with lock:
                        acked[key] = json.loads(data)["id"]
                    break
                time.sleep(0.05)  # 503: try again later
            except (OSError, http.client.HTTPException):
                # Killed mid-request: the answer is unknown, so post it again
                # with the same key (the spool remembers it if it was accepted).
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.02)


def main():
    tmp = tempfile.mkdtemp(prefix="notibus-crash-")
    receiver = Receiver()
    daemon = Daemon(tmp, receiver.server.server_address[1])
    daemon.start()
    acked, lock = {}, threading.Lock()
    keys = [f"crash-{i}" for i in range(MESSAGES)]
    threads = [threading.Thread(target=client, args=(daemon, keys[i::CLIENTS], acked, lock))
               for i in range(CLIENTS)]
    started = time.time()
    for t in threads:
        t.start()
    kills = 0
    rng = random.Random(int(os.environ.get("CRASH_SEED", time.time())))
    while kills < KILLS:
        time.sleep(rng.uniform(0.05, 0.6))
        daemon.kill()
        kills += 1
        daemon.start()
        if all(not t.is_alive() for t in threads) and kills >= KILLS:
            break
    for t in threads:
        t.join()
    posted = time.time() - started
    # Let the last daemon deliver what it holds.
    deadline = time.time() + 120
    while time.time() < deadline:
        counts = receiver.snapshot()
        if all(acked[k] in counts for k in keys):
            break
        time.sleep(0.1)
    daemon.proc.send_signal(signal.SIGTERM)
    daemon.proc.wait(timeout=30)
    counts = receiver.snapshot()
    lost = [k for k in keys if acked[k] not in counts]
    received = sum(counts.values())
    duplicates = received - len(counts)
    unexpected = set(counts) - set(acked.values())
    print(f"{MESSAGES} messages, {kills} kills, posted in {posted:.1f} s; received {received}, "
          f"unique {len(counts)}, duplicates {duplicates} (bound {kills * MAX_INFLIGHT}), lost {len(lost)}, "
          f"ids nobody was told about {len(unexpected)}")
    ok = not lost and duplicates <= kills * MAX_INFLIGHT and len(counts) == MESSAGES
    if ok:
        shutil.rmtree(tmp)
    else:
        print(f"FAILED; spool and daemon.log kept in {tmp}; lost e.g. {lost[:5]}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
