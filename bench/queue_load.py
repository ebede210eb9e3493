#!/usr/bin/python3
"""The shared queue under load (issue #15): accepted/s and delivered/s with 1,
2 and 3 `notibus serve` instances on one 3-node JetStream cluster (R3), and
one instance with the local spool (fsync: always) in the same run.

wrk posts for D seconds over 48 keep-alive connections, split between the
instances; each instance's one channel appends to /dev/null, so the queue and
the API are measured, not a receiver. Accepted/s is what wrk got answered 202;
delivered/s is every accepted message delivered (the channels' counters)
divided by the time from the first post to the last delivery. CPU per
delivered message: the instances' CPU time (and the NATS servers', apart) over
the messages. On this machine every process shares the same 2 cores, so more
instances cannot add throughput here: see bench/README.md for N machines.

  bench/queue_load.py [D] [ROUNDS]        (default 8 s, 3; medians printed)
Needs NOTIBUS_BIN (default build/main/bin/notibus), nats-server and wrk.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("NOTIBUS_BIN", os.path.join(HERE, "..", "build", "main", "bin", "notibus"))
os.environ.setdefault("NOTIBUS_BUILD_DIR", os.path.join(HERE, "..", "build", "main"))
from queue_lib import BIN, NatsCluster, free_port, wait_until  # noqa: E402

DURATION = int(sys.argv[1]) if len(sys.argv) > 1 else 8
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
CONNECTIONS = 48
POST_LUA = """wrk.method = "POST"
wrk.body = '{"topic":"load.test","title":"Load","body":"A body of a typical notification, about eighty bytes long, give or take."}'
wrk.headers["Content-Type"] = "application/json"
"""


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metric_sum(ports, name):
    import urllib.request
    total = 0.0
    for port in ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name):
                    total += float(line.rsplit(" ", 1)[1])
    return total


def start_instances(tmp, n, backend):
    procs, ports = [], []
    for i in range(n):
        port = free_port()
        path = os.path.join(tmp, f"i{i}.yaml")
        with open(path, "w") as f:
            f.write(f"""version: 1
{backend}
server: {{listen: "127.0.0.1:{port}", max_connections: 1024}}
status: {{max_entries: 10000}}
channels:
  sink: {{type: file, path: /dev/null, max_inflight: 64, queue: {{capacity: 1000000}}}}
routes:
  - to: [sink]
""")
        log = open(os.path.join(tmp, f"i{i}.log"), "a")
        procs.append(subprocess.Popen([BIN, "--log-level", "error", "serve", "-c", path], stdout=log, stderr=log))
        ports.append(port)
    for port, proc in zip(ports, procs):
        wait_until("instance ready", lambda: proc.poll() is not None or _ready(port), 60)
        assert proc.poll() is None, f"an instance did not start; see {tmp}"
    return procs, ports


def _ready(port):
    import urllib.request
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


def run_load(tmp, ports):
    lua = os.path.join(tmp, "post.lua")
    with open(lua, "w") as f:
        f.write(POST_LUA)
    per = max(1, CONNECTIONS // len(ports))
    wrks = [subprocess.Popen(["wrk", "-t1", f"-c{per}", f"-d{DURATION}s", "-s", lua,
                              f"http://127.0.0.1:{p}/v1/messages"], stdout=subprocess.PIPE, text=True)
            for p in ports]
    for w in wrks:
        w.communicate()


def one(tmp, cluster, n, backend):
    procs, ports = start_instances(tmp, n, backend)
    nats_pids = [p.pid for p in cluster.procs if p] if cluster else []
    cpu0 = sum(cpu_seconds(p.pid) for p in procs)
    nats0 = sum(cpu_seconds(p) for p in nats_pids)
    started = time.monotonic()
    run_load(tmp, ports)
    accepted = metric_sum(ports, "notibus_messages_accepted_total ")
    post_seconds = time.monotonic() - started
    wait_until("every accepted message delivered",
               lambda: metric_sum(ports, "notibus_channel_delivered_total") >= accepted, 300, every=0.2)
    done_seconds = time.monotonic() - started
    cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
    nats_cpu = sum(cpu_seconds(p) for p in nats_pids) - nats0
    for p in procs:
        p.terminate()
        p.wait()
    return {"accepted/s": accepted / post_seconds, "delivered/s": accepted / done_seconds,
            "notibus CPU us/msg": cpu / accepted * 1e6, "nats CPU us/msg": nats_cpu / accepted * 1e6}


def main():
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    tmp = tempfile.mkdtemp(prefix="notibus-queue-load-")
    cluster = NatsCluster(tmp, 3)
    cluster.start()
    cluster.wait_healthy()
    queue = f"""queue:
  servers: [{", ".join(cluster.urls)}]
  replicas: 3
  max_held: 2000"""
    setups = [("spool, 1 instance", 1, None), ("queue, 1 instance", 1, queue),
              ("queue, 2 instances", 2, queue), ("queue, 3 instances", 3, queue)]
    results = {name: [] for name, _, _ in setups}
    try:
        for r in range(ROUNDS):
            for name, n, backend in setups:
                spool = f"spool: {{dir: {tmp}/spool{r}, fsync: always}}"
                res = one(tmp, cluster if backend else None, n, backend or spool)
                results[name].append(res)
                print(f"round {r + 1} {name}: " + ", ".join(f"{k} {v:.0f}" for k, v in res.items()), flush=True)
    finally:
        cluster.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    base = {k: statistics.median(x[k] for x in results["spool, 1 instance"]) for k in results["spool, 1 instance"][0]}
    one_queue = statistics.median(x["delivered/s"] for x in results["queue, 1 instance"])
    print(f"\nmedians of {ROUNDS} rounds, {DURATION} s of load each:")
    for name, rs in results.items():
        med = {k: statistics.median(x[k] for x in rs) for k in rs[0]}
        print(f"{name:20} accepted {med['accepted/s']:8.0f}/s ({med['accepted/s'] / base['accepted/s']:.2f}x spool)  "
              f"delivered {med['delivered/s']:8.0f}/s ({med['delivered/s'] / base['delivered/s']:.2f}x spool, "
              f"{med['delivered/s'] / one_queue:.2f}x 1 instance)  "
              f"CPU/msg notibus {med['notibus CPU us/msg']:.0f} us, nats {med['nats CPU us/msg']:.0f} us")


if __name__ == "__main__":
    main()
