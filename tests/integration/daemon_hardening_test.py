#!/usr/bin/python3
"""`notibus serve` against what an attacker's or a careless client's probe sends
(issue 17): descriptor exhaustion, HTTP framing, client habits, auth logging.

Every request here is written by hand on a raw socket where the framing matters,
so the test sees exactly the bytes the daemon sends back.
"""
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_test import TOKEN, Daemon, DaemonTestBase  # noqa: E402


def raw_exchange(port, data, wait=2.0, read_until_close=False):
    """Sends `data`, returns every byte received until `wait` passes without more
    (or the peer closes) and whether the peer closed."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(data)
    s.settimeout(wait)
    got = b""
    closed = False
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        got += chunk
        if not read_until_close and b"\r\n\r\n" in got:
            head, _, rest = got.partition(b"\r\n\r\n")
            length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if length and len(rest) >= length[0]:
                s.settimeout(0.3)  # anything more (a second response) would follow at once
    s.close()
    return got, closed


def responses(data):
    """Splits a byte stream of HTTP responses into (status, headers, body) by Content-Length."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            out.append((None, {}, data))
            break
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ")[1])
        headers = {}
        for l in lines[1:]:
            k, _, v = l.partition(b":")
            headers[k.decode().strip().lower()] = v.decode().strip()
        n = int(headers.get("content-length", "0"))
        out.append((status, headers, rest[:n]))
        data = rest[n:]
    return out


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_file_limit(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                parts = line.split()
                return int(parts[3]), int(parts[4])
    return None


def with_nofile(soft, hard):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def raise_own_fd_limit(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= wanted


def idle_connections(port, n):
    out = []
    for _ in range(n):
        try:
            out.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            break
    return out


AUTH = f"Authorization: Bearer {TOKEN}\r\n".encode()


class HardeningTest(DaemonTestBase):
    # 1. Descriptors and idle connections.

    def test_a_connection_that_never_sends_is_cut_at_header_timeout(self):
        d = self.start()  # header_timeout 1s, idle_timeout the default 60s
        s = socket.create_connection(("127.0.0.1", d.port))
        s.settimeout(8)
        start = time.time()
        try:
            self.assertEqual(s.recv(1), b"")
        except ConnectionResetError:
            pass
        self.assertLess(time.time() - start, 4, "a silent connection must go at header_timeout")
        s.close()

    def test_the_soft_open_file_limit_is_raised_to_the_hard_one(self):
        d = self.start(preexec_fn=with_nofile(256, 4096))
        self.assertEqual(open_file_limit(d.proc.pid), (4096, 4096))

    def test_max_connections_is_capped_below_the_open_file_limit(self):
        d = self.start(preexec_fn=with_nofile(256, 256), header_timeout="30s")
        self.assertIn("max_connections 1024 lowered to 224", d.logs())
        held = idle_connections(d.port, 300)
        time.sleep(0.3)
        before = cpu_seconds(d.proc.pid)
        status = d.request("GET", "/healthz")[0]
        self.assertEqual(status, 503)  # too_many_connections, answered, not a hang
        time.sleep(2)
        self.assertLess(cpu_seconds(d.proc.pid) - before, 0.2, "the daemon spins while connections are held")
        for s in held:
            s.close()
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                if d.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        self.assertEqual(d.request("GET", "/healthz")[0], 200)

    def test_running_out_of_descriptors_backs_off_and_answers_503(self):
        # The limit is lowered under the running daemon, below the descriptors
        # it holds: every accept fails with EMFILE, as when channels and
        # connections together use them all.
        d = self.start(header_timeout="30s")
        held = idle_connections(d.port, 60)
        time.sleep(0.3)
        resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (40, 40))
        more = idle_connections(d.port, 20)
        time.sleep(0.5)
        before = cpu_seconds(d.proc.pid)
        time.sleep(2)
        self.assertLess(cpu_seconds(d.proc.pid) - before, 0.2, "the accept loop spins on EMFILE")
        got, _ = raw_exchange(d.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n")
        self.assertTrue(got.startswith(b"HTTP/1.1 503"), got)
        self.assertIn(b"too_many_connections", got)
        self.assertIn("out of file descriptors", d.logs())
        for s in held + more:
            s.close()
        deadline = time.time() + 5  # once they are closed, there is room again
        while d.request("GET", "/healthz")[0] != 200 and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(d.request("GET", "/healthz")[0], 200)

    # 8. Framing.

    def test_head_has_no_body_and_the_next_response_is_read_right(self):
        d = self.start()
        got, _ = raw_exchange(d.port, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n"
                              b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n")
        head, _, rest = got.partition(b"\r\n\r\n")
        self.assertIn(b"HTTP/1.1 200", head)
        self.assertIn(b"content-length: 15", head.lower())  # the GET's length, no bytes
        self.assertTrue(rest.startswith(b"HTTP/1.1 200"), rest)
        second = responses(rest)
        self.assertEqual(second[0][2], b'{"status":"ok"}')

    def test_transfer_codings_other_than_chunked_are_refused_and_the_connection_closed(self):
        d = self.start()
        for coding, status in ((b"xchunked", 400), (b"chunked, identity", 400), (b"gzip, chunked", 501),
                               (b"identity", 400)):
            with self.subTest(coding=coding):
                smuggled = b"GET /v1/channels HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n"
                got, closed = raw_exchange(
                    d.port, b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n" + AUTH +
                    b"Content-Type: application/json\r\nTransfer-Encoding: " + coding + b"\r\n\r\n" + smuggled,
                    read_until_close=True)
                rs = responses(got)
                self.assertEqual(rs[0][0], status, got)
                self.assertEqual(len(rs), 1, "the body was parsed as a second request")
                self.assertTrue(closed)

    def test_an_invalid_chunk_size_is_a_400(self):
        d = self.start()
        got, closed = raw_exchange(
            d.port, b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n" + AUTH +
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
            read_until_close=True)
        self.assertEqual(responses(got)[0][0], 400, got)
        self.assertTrue(closed)

    def test_pipelined_requests_and_a_body_that_arrives_later_are_each_answered(self):
        # Requests already buffered are parsed at once; a part still on its way is awaited.
        d = self.start()
        post = lambda body: (b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n" + AUTH +
                             b"Content-Type: application/json\r\nContent-Length: " +
                             str(len(body)).encode() + b"\r\n\r\n" + body)
        s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
        third = post(b'{"body":"three"}')
        s.sendall(post(b'{"body":"one"}') + post(b'{"body":"two"}') + third[:-8])
        time.sleep(0.3)
        s.sendall(third[-8:])
        got = b""
        while got.count(b"HTTP/1.1 ") < 3 or len(responses(got)[-1][2]) < 10:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        s.close()
        rs = responses(got)
        self.assertEqual([r[0] for r in rs], [202, 202, 202], got)
        self.assertEqual(len({json.loads(r[2])["id"] for r in rs}), 3)
        self.assertEqual(sorted(l["body"] for l in d.wait_for_lines(3)), ["one", "three", "two"])

    def test_a_chunked_body_is_accepted(self):
        d = self.start()
        body = b'{"body":"chunked"}'
        got, _ = raw_exchange(
            d.port, b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n" + AUTH +
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
            hex(len(body))[2:].encode() + b"\r\n" + body + b"\r\n0\r\n\r\n")
        self.assertEqual(responses(got)[0][0], 202, got)

    # 9. NUL inside a JSON string.

    def test_a_nul_in_a_string_is_refused(self):
        d = self.start()
        for field in ("body", "title", "topic"):
            with self.subTest(field=field):
                doc = {"body": "x", field: "a\u0000b"}
                status, _, data = d.post(doc)
                self.assertEqual(status, 400)
                self.assertEqual(data["error"], "invalid_message")
                self.assertEqual(data["field"], field)
        status, _, data = d.post({"body": "x", "attributes": {"k": "a\u0000b"}})
        self.assertEqual((status, data["field"]), (400, "attributes.k"))
        status, _, data = d.post({"body": "x", "tags": ["ok", "a\u0000"]})
        self.assertEqual((status, data["field"]), (400, "tags[1]"))
        self.assertEqual(d.delivered_lines(), [])

    # 10. Habits of HTTP clients that the RFCs allow.

    def test_auth_scheme_and_media_type_are_case_insensitive(self):
        d = self.start()
        status, _, _ = d.post({"body": "lower"}, token=None,
                              headers={"Authorization": f"bearer {TOKEN}", "Content-Type": "Application/JSON; charset=UTF-8"})
        self.assertEqual(status, 202)
        status, _, _ = d.post({"body": "x"}, token=None, headers={"Authorization": f"BEARER  {TOKEN}"})
        self.assertEqual(status, 202)
        status, _, _ = d.post({"body": "x"}, token=None, headers={"Authorization": f"Basic {TOKEN}"})
        self.assertEqual(status, 401)
        status, _, _ = d.post({"body": "x"}, headers={"Content-Type": "application/jsonx"})
        self.assertEqual(status, 415)
        self.assertEqual(len(d.wait_for_lines(2)), 2)

    def test_http_1_0_keep_alive_is_kept_and_said(self):
        d = self.start()
        req = b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n" + AUTH + b"\r\n"
        got, closed = raw_exchange(d.port, req + req)
        rs = responses(got)
        self.assertEqual(len(rs), 2, got)
        self.assertEqual(rs[0][1].get("connection", "").lower(), "keep-alive")
        self.assertTrue(got.startswith(b"HTTP/1.0 200") or got.startswith(b"HTTP/1.1 200"), got)
        # Without keep-alive, an HTTP/1.0 connection closes after one answer.
        got, closed = raw_exchange(d.port, b"GET /healthz HTTP/1.0\r\n" + AUTH + b"\r\n", read_until_close=True)
        self.assertEqual(len(responses(got)), 1)
        self.assertTrue(closed)

    def test_expect_100_continue_is_answered(self):
        d = self.start()
        body = b'{"body":"after 100"}'
        s = socket.create_connection(("127.0.0.1", d.port))
        s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n" + AUTH + b"Content-Type: application/json\r\n"
                  b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        s.settimeout(3)
        interim = s.recv(4096)
        self.assertTrue(interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), interim)
        s.sendall(body)
        final = interim[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
        while b"\r\n\r\n" not in final:
            final += s.recv(4096)
        s.close()
        self.assertIn(b" 202 ", final.split(b"\r\n")[0])

    def test_expect_100_continue_with_a_bad_token_gets_401_without_100(self):
        d = self.start()
        s = socket.create_connection(("127.0.0.1", d.port))
        s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n"
                  b"Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n")
        s.settimeout(3)
        got = s.recv(4096)
        s.close()
        self.assertTrue(got.startswith(b"HTTP/1.1 401"), got)

    # 3. A rejected reload logs its errors without the values ${...} filled in.

    def test_a_rejected_reload_does_not_log_expanded_values(self):
        d = self.start(env={"NOTIBUS_RELOAD_SECRET": "reload-secret-value-55"})
        with open(d.config, "a") as f:
            f.write('  - to: ["${NOTIBUS_RELOAD_SECRET}"]\n')
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while "reload rejected: the running config stays" not in d.logs() and time.time() < deadline:
            time.sleep(0.02)
        logs = d.logs()
        self.assertIn("unknown channel (a name filled in by ${...})", logs)
        self.assertNotIn("reload-secret-value-55", logs)

    # Round 2, 5. A reload reads its file off the API's thread: a ${file:} that
    # is a FIFO nobody writes (1.0 stalled every request for as long) leaves
    # /healthz and POSTs answering; SIGHUPs meanwhile make one more reload.

    def test_a_slow_reload_does_not_stall_the_api(self):
        fifo = os.path.join(self.tmp, "slow-secret")
        os.mkfifo(fifo)
        d = self.start()
        with open(d.config, "a") as f:
            f.write(f'  - match: {{topic: "${{file:{fifo}}}"}}\n    to: [archive]\n')
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        d.proc.send_signal(signal.SIGHUP)  # coalesced into one more reload
        started = time.time()
        for _ in range(5):
            status, _, _ = d.request("GET", "/healthz")
            self.assertEqual(status, 200)
            status, _, _ = d.post({"topic": "t", "title": "during", "body": "a reload"})
            self.assertEqual(status, 202)
        self.assertLess(time.time() - started, 3.0, "the API waited for the reload")
        self.assertNotIn("config reloaded", d.logs())
        for n in (1, 2):  # the first reload, then the coalesced one
            with open(fifo, "w") as w:
                w.write("fifo-topic")
            deadline = time.time() + 10
            while d.logs().count("config reloaded") < n and time.time() < deadline:
                time.sleep(0.02)
            self.assertEqual(d.logs().count("config reloaded"), n, d.logs())
        self.assertEqual(len(d.wait_for_lines(5)), 5)

    # Round 2, 7 and 11: every JSON answer (errors included) is kept from caches
    # and sniffing, and is UTF-8 even when it quotes a byte the client sent.

    def test_json_answers_are_no_store_nosniff_and_utf8(self):
        d = self.start()
        for method, path, token, expected in [("GET", "/v1/channels", TOKEN, 200),
                                              ("GET", "/v1/channels", "wrong", 401),
                                              ("GET", "/v1/nowhere", TOKEN, 404),
                                              ("GET", "/v1/messages?%FF=1", TOKEN, 400)]:
            status, headers, body = d.request(method, path, token=token)
            self.assertEqual(status, expected, path)
            headers = {k.lower(): v for k, v in headers.items()}
            self.assertEqual(headers.get("cache-control"), "no-store", path)
            self.assertEqual(headers.get("x-content-type-options"), "nosniff", path)
            doc = json.loads(body.decode("utf-8"))  # strict: 1.0 sent a raw 0xFF
            if expected == 400:
                self.assertEqual(doc["field"], "\ufffd")

    # 11. A record of failed authentication; an access log; a warning.

    def test_failed_authentication_is_logged_rate_limited_and_without_the_token(self):
        d = self.start()
        for i in range(40):
            d.request("GET", "/v1/channels", token=f"guess-{i}-{TOKEN}")
        time.sleep(0.2)
        logs = d.logs()
        lines = [l for l in logs.splitlines() if "unauthorized" in l]
        self.assertGreaterEqual(len(lines), 1, logs)
        self.assertLessEqual(len(lines), 12, "401s must be rate-limited in the log")
        self.assertIn("127.0.0.1", lines[0])
        self.assertIn("GET /v1/channels", lines[0])
        self.assertNotIn("guess-", logs)
        # The ones left out are counted once the window passes.
        time.sleep(1.1)
        d.request("GET", "/v1/channels", token="again")
        time.sleep(0.2)
        self.assertRegex(d.logs(), r"\d+ more unauthorized request")

    def test_access_log(self):
        d = self.start(server_extra="  access_log: true\n")
        d.post({"body": "logged"})
        d.request("GET", "/v1/messages/x?token=querysecret")
        time.sleep(0.2)
        logs = d.logs()
        self.assertRegex(logs, r"access: 127\.0\.0\.1:\d+ \"POST /v1/messages HTTP/1\.1\" 202 \d+ \d+ms")
        self.assertIn('"GET /v1/messages/x?REDACTED HTTP/1.1" 404', logs)
        self.assertNotIn("querysecret", logs)

    def test_listening_beyond_loopback_without_a_token_is_warned(self):
        d = Daemon(self.tmp, "", server_extra="")
        self.daemons.append(d)
        self.assertNotIn("without auth_token", d.logs())
        d.stop()
        with open(d.config) as f:
            text = f.read()
        text = text.replace('listen: "127.0.0.1:', 'listen: "0.0.0.0:').replace('  auth_token: "${NOTIBUS_TOKEN}"\n', "")
        with open(d.config, "w") as f:
            f.write(text)
        log_path = os.path.join(self.tmp, "open.log")
        with open(log_path, "w+") as log:
            p = subprocess.Popen([os.environ["NOTIBUS_BIN"], "serve", "-c", d.config], stdout=log, stderr=log)
        try:
            deadline = time.time() + 5
            logs = ""
            while time.time() < deadline and "listening on" not in logs:
                time.sleep(0.05)
                with open(log_path) as f:
                    logs = f.read()
            self.assertIn("listening on", logs)
            self.assertIn("warn: server.listen 0.0.0.0", logs)
            self.assertIn("without auth_token", logs)
        finally:
            p.terminate()
            p.wait(10)


if __name__ == "__main__":
    unittest.main(verbosity=2)
