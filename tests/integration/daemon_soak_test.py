#!/usr/bin/python3
"""Soak (issue 17): 2,000 idle connections plus normal traffic against a daemon
whose open-file limit is 1024, as under systemd's default. While they are held
the daemon stays nearly idle, every request gets an answer (202, or 503 when
no connection is free), and once they close its RSS is back within 2 MB of
where it started.
"""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_hardening_test import (cpu_seconds, idle_connections, raise_own_fd_limit,  # noqa: E402
                                   rss_kib, with_nofile)
from daemon_test import TOKEN, DaemonTestBase  # noqa: E402

IDLE = 2000
HOLD_SECONDS = 4


def post_on(conn_sock, body):
    """One POST on a kept-alive raw socket; returns the status code."""
    payload = ('{"body":"%s"}' % body).encode()
    conn_sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
                      b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(payload)).encode() +
                      b"\r\n\r\n" + payload)
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = conn_sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        got += chunk
    head, _, rest = got.partition(b"\r\n\r\n")
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    while len(rest) < length:
        rest += conn_sock.recv(4096)
    return int(head.split(b" ")[1])


def status_of_new_connection(port):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        status = post_on(s, "new")
        s.close()
        return status
    except OSError as e:
        return repr(e)


class SoakTest(DaemonTestBase):
    def test_idle_connections_with_a_1024_descriptor_limit(self):
        if not raise_own_fd_limit(IDLE + 200):
            self.skipTest("this process cannot open enough descriptors")
        d = self.start(preexec_fn=with_nofile(1024, 1024), header_timeout="60s")
        keep = socket.create_connection(("127.0.0.1", d.port), timeout=10)
        for i in range(300):  # warm up: allocations that stay (status entries, pools)
            self.assertEqual(post_on(keep, f"warm {i}"), 202)
        time.sleep(0.5)
        rss_start = rss_kib(d.proc.pid)

        held = idle_connections(d.port, IDLE)
        self.assertEqual(len(held), IDLE)
        time.sleep(1)
        cpu_before = cpu_seconds(d.proc.pid)
        statuses = []
        deadline = time.time() + HOLD_SECONDS
        while time.time() < deadline:
            statuses.append(post_on(keep, "during"))
            statuses.append(status_of_new_connection(d.port))
            time.sleep(0.1)
        cpu_used = cpu_seconds(d.proc.pid) - cpu_before
        wall = HOLD_SECONDS
        print(f"held {IDLE} idle connections for {wall}s: daemon CPU {cpu_used:.2f}s "
              f"({100 * cpu_used / wall:.1f}%), RSS {rss_kib(d.proc.pid)} KiB (start {rss_start} KiB); "
              f"answers {sorted(set(map(str, statuses)))}", file=sys.stderr)
        self.assertLess(cpu_used / wall, 0.10, "the daemon must stay below 10% CPU")
        self.assertTrue(all(s in (202, 503) for s in statuses), statuses)
        self.assertIn(202, statuses)
        self.assertIn(503, statuses)

        for s in held:
            s.close()
        keep.close()
        deadline = time.time() + 10
        while time.time() < deadline and rss_kib(d.proc.pid) > rss_start + 2048:
            time.sleep(0.25)
        rss_end = rss_kib(d.proc.pid)
        print(f"RSS after they closed: {rss_end} KiB (start {rss_start} KiB)", file=sys.stderr)
        self.assertLessEqual(rss_end, rss_start + 2048)
        self.assertEqual(d.request("GET", "/healthz")[0], 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
