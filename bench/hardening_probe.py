#!/usr/bin/python3
"""Figures for the hardening round 2 fixes, for one `notibus` binary:

  parked    a receiver answering 429 + Retry-After: 999999999 under 10 s of
            POSTs: deliveries left waiting, daemon RSS
  filtering POST p50 (wrk --latency) alone, then with four clients asking
            GET /v1/messages?state=failed over 100,000 kept statuses
  dead      1,000 dead letters of 10 KB each (spool): RSS once they exist,
            after one GET /v1/dead-letters, and after a restart

  bench/hardening_probe.py BIN [BIN...]   (one block of figures per binary)
Uses nginx (the receivers) and wrk, as the other load scripts do.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

TOKEN = "probe-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Nginx:
    """Answers every request with `status` (and `header` when given)."""

    def __init__(self, work, status, header=""):
        self.port = free_port()
        conf = os.path.join(work, f"nginx-{self.port}.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off; worker_processes 1; pid {work}/nginx-{self.port}.pid;
error_log stderr crit; events {{ worker_connections 4096; }}
http {{ access_log off; client_body_temp_path {work}; server {{ listen 127.0.0.1:{self.port};
  keepalive_requests 1000000; location / {{ {header} return {status}; }} }} }}
""")
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", work], stderr=subprocess.DEVNULL)
        time.sleep(0.3)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Daemon:
    def __init__(self, binary, work, channel, extra=""):
        self.port = free_port()
        self.config = os.path.join(work, f"probe-{self.port}.yaml")
        with open(self.config, "w") as f:
            f.write(f"""version: 1
server: {{listen: "127.0.0.1:{self.port}", auth_token: {TOKEN}, max_connections: 1024}}
{extra}channels:
  sink: {channel}
routes:
  - to: [sink]
""")
        self.binary = binary
        self.start()

    def start(self):
        self.proc = subprocess.Popen([self.binary, "--log-level", "error", "serve", "-c", self.config])
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port)).close()
                return
            except OSError:
                time.sleep(0.02)

    def get(self, path):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def wrk(port, seconds, work, body="x", latency=False):
    script = os.path.join(work, "post.lua")
    with open(script, "w") as f:
        f.write(f"""wrk.method = "POST"
wrk.body = '{json.dumps({"topic": "probe", "title": "t", "body": body})}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {TOKEN}"
""")
    args = ["wrk", "-t2", "-c32", f"-d{seconds}s", "-s", script] + (["--latency"] if latency else [])
    out = subprocess.run(args + [f"http://127.0.0.1:{port}/v1/messages"], capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        if latency and line.strip().startswith("50%"):
            return line.split()[1]
    return out


def parked(binary, work):
    receiver = Nginx(work, 429, "add_header Retry-After 999999999 always;")
    d = Daemon(binary, work, f'{{type: webhook, url: "http://127.0.0.1:{receiver.port}/", '
                             'max_inflight: 64}')
    wrk(d.port, 10, work)
    time.sleep(1)
    waiting = sum(c["retrying"] for c in d.get("/v1/channels")["channels"])
    print(f"  parked: {waiting} deliveries waiting after 10 s, RSS {rss_mb(d.proc.pid):.1f} MB")
    d.stop()
    receiver.stop()


def filtering(binary, work):
    d = Daemon(binary, work, "{type: file, path: /dev/null, max_inflight: 64}",
               "status: {max_entries: 100000}\n")
    wrk(d.port, 8, work)  # fills the status store
    alone = wrk(d.port, 5, work, latency=True)
    stop = threading.Event()

    def filter_loop():
        while not stop.is_set():
            d.get("/v1/messages?state=failed&limit=50")

    clients = [threading.Thread(target=filter_loop) for _ in range(4)]
    for c in clients:
        c.start()
    crowded = wrk(d.port, 5, work, latency=True)
    stop.set()
    for c in clients:
        c.join()
    print(f"  filtering: POST p50 {alone} alone, {crowded} with 4 clients filtering by state")
    d.stop()


def dead(binary, work):
    refuser = Nginx(work, 400)
    spool = os.path.join(work, "spool")
    d = Daemon(binary, work, f'{{type: webhook, url: "http://127.0.0.1:{refuser.port}/", '
                             'max_inflight: 16}', f"spool: {{dir: {spool}}}\n")
    body = "b" * 10_000
    for i in range(1000):
        req = urllib.request.Request(f"http://127.0.0.1:{d.port}/v1/messages",
                                     data=json.dumps({"topic": "dead", "body": body}).encode(),
                                     headers={"Authorization": f"Bearer {TOKEN}",
                                              "Content-Type": "application/json"})
        urllib.request.urlopen(req).read()
    while sum(c["failed"] for c in d.get("/v1/channels")["channels"]) < 1000:
        time.sleep(0.2)
    before = rss_mb(d.proc.pid)
    d.get("/v1/dead-letters")
    after = rss_mb(d.proc.pid)
    d.stop()
    d.start()
    d.get("/v1/channels")
    restarted = rss_mb(d.proc.pid)
    print(f"  dead letters (1,000 x 10 KB): RSS {before:.1f} MB, {after:.1f} MB after one "
          f"GET /v1/dead-letters, {restarted:.1f} MB after a restart")
    d.stop()
    refuser.stop()


def main():
    for binary in sys.argv[1:]:
        work = tempfile.mkdtemp()
        try:
            print(binary)
            parked(binary, work)
            filtering(binary, work)
            dead(binary, work)
        finally:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
