#!/usr/bin/python3
"""`notibus serve` end to end: the real binary, real sockets on 127.0.0.1.

Needs NOTIBUS_BIN, NOTIBUS_BUILD_DIR and NOTIBUS_TEST_MODULES in the environment.
"""
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

BIN = os.environ["NOTIBUS_BIN"]
BUILD = os.environ["NOTIBUS_BUILD_DIR"]
MODULES = os.environ["NOTIBUS_TEST_MODULES"]
TOKEN = "s3cret-token-value"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, directory, channels, routes="  - to: [archive]\n", server_extra="", env=None,
                 preexec_fn=None, header_timeout="1s", top_extra=""):
        self.header_timeout = header_timeout
        self.top_extra = top_extra
        self.dir = directory
        self.port = free_port()
        self.out = os.path.join(directory, "out.jsonl")
        self.config = os.path.join(directory, "notibus.yaml")
        self.write_config(channels, routes, server_extra)
        self.log = open(os.path.join(directory, "daemon.log"), "w+")
        self.proc = subprocess.Popen([BIN, "serve", "-c", self.config], stdout=self.log, stderr=self.log,
                                     env=dict(os.environ, NOTIBUS_TOKEN=TOKEN, **(env or {})),
                                     preexec_fn=preexec_fn)
        for _ in range(200):
            if "listening on" in self.logs():
                return
            if self.proc.poll() is not None:
                raise RuntimeError("daemon exited: " + self.logs())
            time.sleep(0.02)
        raise RuntimeError("daemon did not start: " + self.logs())

    def write_config(self, channels, routes, server_extra=""):
        with open(self.config, "w") as f:
            f.write(f"""version: 1
{self.top_extra}plugin_dirs: [{MODULES}/fault, {BUILD}/plugins]
server:
  listen: "127.0.0.1:{self.port}"
  auth_token: "${{NOTIBUS_TOKEN}}"
  max_body: 4096
  header_timeout: {self.header_timeout}
  shutdown_grace: 5s
{server_extra}channels:
  archive: {{type: file, path: "{self.out}"}}
{channels}routes:
{routes}""")

    def logs(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def request(self, method, path, body=None, headers=None, token=TOKEN):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, dict(r.getheaders()), data

    def post(self, message, **kw):
        status, headers, data = self.request("POST", "/v1/messages", message, **kw)
        return status, headers, json.loads(data) if data else None

    def delivered_lines(self):
        if not os.path.exists(self.out):
            return []
        with open(self.out) as f:
            return [json.loads(l) for l in f if l.strip()]

    def wait_for_lines(self, n, limit=10):
        deadline = time.time() + limit
        while time.time() < deadline:
            if len(self.delivered_lines()) >= n:
                return self.delivered_lines()
            time.sleep(0.02)
        return self.delivered_lines()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                return self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.returncode


class DaemonTestBase(unittest.TestCase):
    """Starts daemons in a temp dir; checks at the end that none logged the token."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.stop()
            self.assertNotIn(TOKEN, d.logs())
        shutil.rmtree(self.tmp)

    def slow_sink(self, seconds):
        """An HTTP receiver that takes `seconds` per request; returns it and its log."""
        received = []

        class Slow(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(seconds)
                received.append(1)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
        threading.Thread(target=sink.serve_forever, daemon=True).start()
        self.addCleanup(sink.shutdown)
        return sink, received

    def start(self, channels="", **kw):
        d = Daemon(self.tmp, channels, **kw)
        self.daemons.append(d)
        return d


class DaemonTest(DaemonTestBase):
    def test_post_is_delivered_and_reported(self):
        d = self.start()
        status, _, body = d.post({"topic": "alerts.disk", "title": "Disk", "body": "full ✓", "priority": "high",
                                  "tags": ["prod"], "attributes": {"host": "db1"}})
        self.assertEqual(status, 202)
        lines = d.wait_for_lines(1)
        self.assertEqual(lines[0]["id"], body["id"])
        self.assertEqual(lines[0]["body"], "full ✓")
        self.assertEqual(lines[0]["attributes"], {"host": "db1"})
        status, _, data = d.request("GET", f"/v1/messages/{body['id']}")
        self.assertEqual(status, 200)
        report = json.loads(data)
        self.assertTrue(report["delivered"])
        self.assertEqual(report["channels"][0]["state"], "delivered")
        status, _, data = d.request("GET", "/v1/channels")
        self.assertEqual(json.loads(data)["channels"][0]["delivered"], 1)

    def test_a_repeated_idempotency_key_is_not_delivered_twice(self):
        d = self.start()
        first = d.post({"body": "once", "idempotency_key": "order-1"})
        second = d.post({"body": "once", "idempotency_key": "order-1"})
        self.assertEqual(first[0], 202)
        self.assertEqual(second[0], 200)
        self.assertEqual(second[2]["id"], first[2]["id"])
        time.sleep(0.2)
        self.assertEqual(len(d.wait_for_lines(1)), 1)

    def test_every_error_status(self):
        d = self.start("  stuck: {type: fault, mode: hang, queue: {capacity: 1}}\n")
        cases = [
            (("POST", "/v1/messages", "{not json", {"Content-Type": "application/json"}), 400, "malformed_json", ""),
            (("POST", "/v1/messages", {"body": 5}, None), 400, "wrong_type", "body"),
            (("POST", "/v1/messages", {"body": "x", "tags": ["a", 3]}, None), 400, "wrong_type", "tags[1]"),
            (("POST", "/v1/messages", {"body": "x", "priority": "extreme"}, None), 400, "invalid_value", "priority"),
            (("POST", "/v1/messages", {"body": "x", "format": "rtf"}, None), 400, "invalid_value", "format"),
            (("POST", "/v1/messages", {"body": "x", "format": 1}, None), 400, "wrong_type", "format"),
            (("POST", "/v1/messages", {"body": "x", "colour": "red"}, None), 400, "unknown_field", "colour"),
            (("POST", "/v1/messages", {"title": "no body"}, None), 400, "missing_field", "body"),
            (("POST", "/v1/messages", {"body": "x", "channels": ["nope"]}, None), 400, "unknown_channel", "channels"),
            (("POST", "/v1/messages", b'{"body": "\xc3\x28"}', {"Content-Type": "application/json"}), 400, "invalid_utf8", ""),
            (("POST", "/v1/messages", "body=x", {"Content-Type": "application/x-www-form-urlencoded"}), 415,
             "unsupported_media_type", None),
            (("POST", "/v1/messages", json.dumps({"body": "x" * 5000}), {"Content-Type": "application/json"}), 413,
             "body_too_large", ""),
            (("GET", "/v1/messages/01NOSUCHMESSAGE00000000000", None, None), 404, "not_found", None),
            (("GET", "/nowhere", None, None), 404, "not_found", None),
            (("DELETE", "/v1/messages", None, None), 405, "method_not_allowed", None),
        ]
        for (method, path, body, headers), status, code, field in cases:
            with self.subTest(code=code, path=path):
                got, hdrs, data = d.request(method, path, body, headers)
                self.assertEqual(got, status, data)
                doc = json.loads(data)
                self.assertEqual(doc["error"], code)
                if field is not None:
                    self.assertEqual(doc["field"], field)
                if status == 405:
                    self.assertEqual(hdrs["Allow"], "GET, POST")
        # Queues full: 503 with Retry-After, never a silent drop.
        self.assertEqual(d.post({"body": "1", "channels": ["stuck"]})[0], 202)  # in flight
        time.sleep(0.2)
        self.assertEqual(d.post({"body": "2", "channels": ["stuck"]})[0], 202)  # queued
        status, headers, doc = d.post({"body": "3", "channels": ["stuck"]})
        self.assertEqual(status, 503)
        self.assertEqual(doc["error"], "queue_full")
        self.assertEqual(headers["Retry-After"], "1")

    def test_auth(self):
        d = self.start()
        # Of the right length too (round 2, 15): differing first, in the middle, last.
        same_length = ["X" + TOKEN[1:], TOKEN[:9] + "X" + TOKEN[10:], TOKEN[:-1] + "X"]
        for token in [None, "wrong", TOKEN + "x"] + same_length:
            status, headers, data = d.request("POST", "/v1/messages", {"body": "x"}, token=token)
            self.assertEqual(status, 401)
            self.assertEqual(headers["WWW-Authenticate"], 'Bearer realm="notibus"')
            self.assertEqual(json.loads(data)["error"], "unauthorized")
        self.assertEqual(d.request("GET", "/healthz", token=None)[0], 401)
        self.assertEqual(d.request("GET", "/metrics", token=None)[0], 401)
        self.assertEqual(d.request("GET", "/healthz")[0], 200)
        self.assertEqual(d.request("GET", "/readyz")[0], 200)

    def test_continue_routes_deliver_to_every_match(self):
        # Round 2, 15: `continue: true` lets later routes match too; without it
        # the first match is the only one.
        second = os.path.join(self.tmp, "second.jsonl")
        d = self.start(channels=f'  second: {{type: file, path: "{second}"}}\n',
                       routes="  - match: {topic: \"a.*\"}\n    to: [second]\n    continue: true\n"
                              "  - match: {topic: \"b.*\"}\n    to: [second]\n"
                              "  - to: [archive]\n")
        for topic in ("a.x", "b.x", "c.x"):
            self.assertEqual(d.post({"topic": topic, "body": topic})[0], 202)
        d.wait_for_lines(2)
        deadline = time.time() + 10
        while time.time() < deadline:
            with open(second) if os.path.exists(second) else open(os.devnull) as f:
                seconds = sorted(json.loads(l)["topic"] for l in f if l.strip())
            if len(seconds) >= 2:
                break
            time.sleep(0.02)
        time.sleep(0.2)
        self.assertEqual(sorted(l["topic"] for l in d.delivered_lines()), ["a.x", "c.x"])
        self.assertEqual(seconds, ["a.x", "b.x"])

    def test_health_and_metrics_can_be_public(self):
        d = self.start(server_extra="  health_without_auth: true\n  metrics_without_auth: true\n")
        self.assertEqual(d.request("GET", "/healthz", token=None)[0], 200)
        self.assertEqual(d.request("GET", "/metrics", token=None)[0], 200)
        self.assertEqual(d.request("POST", "/v1/messages", {"body": "x"}, token=None)[0], 401)

    def test_metrics_are_valid_prometheus_text(self):
        d = self.start()
        for i in range(3):
            d.post({"body": f"m{i}"})
        d.wait_for_lines(3)
        status, headers, data = d.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        text = data.decode()
        samples = strict_parse_prometheus(text)
        self.assertEqual(samples[('notibus_channel_delivered_total', (('channel', 'archive'),))], 3)
        self.assertEqual(samples[('notibus_delivery_latency_seconds_count', (('channel', 'archive'),))], 3)
        self.assertEqual(samples[('notibus_messages_accepted_total', ())], 3)
        promtool = shutil.which("promtool")
        if promtool:  # a real parser too, where Debian's prometheus package is installed
            p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_two_hundred_concurrent_clients(self):
        d = self.start()
        results = []
        lock = threading.Lock()

        def client(i):
            status = d.post({"body": f"c{i}"})[0]
            with lock:
                results.append(status)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results.count(202), 200, results)
        self.assertEqual(len(d.wait_for_lines(200)), 200)

    def test_oversized_headers_are_refused(self):
        d = self.start()
        status, _, data = d.request("GET", "/healthz", headers={"X-Big": "x" * 20000})
        self.assertEqual(status, 431)
        self.assertEqual(json.loads(data)["error"], "header_too_large")

    def test_tls_listener(self):
        import ssl
        run = lambda *a: subprocess.run(a, check=True, capture_output=True)
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=ca",
            "-keyout", f"{self.tmp}/ca.key", "-out", f"{self.tmp}/ca.pem")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", f"{self.tmp}/srv.key", "-out", f"{self.tmp}/srv.csr")
        with open(f"{self.tmp}/srv.ext", "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        run("openssl", "x509", "-req", "-in", f"{self.tmp}/srv.csr", "-CA", f"{self.tmp}/ca.pem", "-CAkey",
            f"{self.tmp}/ca.key", "-CAcreateserial", "-days", "2", "-extfile", f"{self.tmp}/srv.ext",
            "-out", f"{self.tmp}/srv.pem")
        d = self.start(server_extra=f"  tls: {{cert: {self.tmp}/srv.pem, key: {self.tmp}/srv.key}}\n")
        self.assertIn("listening on https://", d.logs())
        ctx = ssl.create_default_context(cafile=f"{self.tmp}/ca.pem")
        conn = http.client.HTTPSConnection("127.0.0.1", d.port, context=ctx, timeout=10)
        conn.request("POST", "/v1/messages", json.dumps({"body": "over TLS"}),
                     {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
        r = conn.getresponse()
        self.assertEqual(r.status, 202, r.read())
        conn.close()
        self.assertEqual(d.wait_for_lines(1)[0]["body"], "over TLS")

    def test_keep_alive(self):
        d = self.start()
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        for i in range(5):
            conn.request("POST", "/v1/messages", json.dumps({"body": f"k{i}"}),
                         {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 202)
        conn.close()

    def test_a_slow_client_is_cut_off_and_others_are_served(self):
        d = self.start()
        slow = socket.create_connection(("127.0.0.1", d.port))
        start = time.time()
        cut = False
        for ch in b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n":
            try:
                slow.send(bytes([ch]))
            except OSError:
                cut = True
                break
            # Meanwhile another client is served at once.
            if ch == ord("T"):
                self.assertEqual(d.post({"body": "not blocked"})[0], 202)
            time.sleep(0.2)
            slow.settimeout(0.01)
            try:
                if slow.recv(1) == b"":
                    cut = True
                    break
            except socket.timeout:
                pass
            except OSError:
                cut = True
                break
        self.assertTrue(cut, "the slow client was never cut off")
        self.assertLess(time.time() - start, 4)  # header_timeout is 1s
        slow.close()

    def test_sigterm_drains_in_flight_deliveries(self):
        sink, received = self.slow_sink(0.3)
        d = self.start(f"  hook: {{type: webhook, url: \"http://127.0.0.1:{sink.server_port}/x\", max_inflight: 2}}\n",
                       routes="  - to: [hook]\n")
        for i in range(6):
            self.assertEqual(d.post({"body": f"d{i}"})[0], 202)
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertEqual(len(received), 6, d.logs())
        self.assertIn("draining", d.logs())

    def test_sighup_keeps_the_queues_of_unchanged_channels(self):
        sink, received = self.slow_sink(0.2)
        hook = f"  hook: {{type: webhook, url: \"http://127.0.0.1:{sink.server_port}/x\"}}\n"
        d = self.start(hook, routes="  - to: [hook]\n")
        for i in range(5):
            self.assertEqual(d.post({"body": f"q{i}"})[0], 202)
        # Same channels, one more route: the hook channel is unchanged.
        d.write_config(hook, "  - match: {topic: never}\n    to: [archive]\n  - to: [hook]\n")
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while "config reloaded" not in d.logs() and time.time() < deadline:
            time.sleep(0.02)
        self.assertIn("(2 unchanged channel(s) kept their queues)", d.logs())  # hook and archive
        status, _, data = d.request("GET", "/v1/channels")
        hook_stats = [c for c in json.loads(data)["channels"] if c["name"] == "hook"][0]
        self.assertEqual(hook_stats["published"], 5)  # the same queue and counters, now on the new bus
        deadline = time.time() + 10
        while len(received) < 5 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(len(received), 5)
        self.assertEqual(d.post({"body": "after"})[0], 202)

    def test_sighup_reloads_a_good_config_and_keeps_the_old_one_on_a_bad_one(self):
        d = self.start()
        d.write_config("  second: {type: file, path: \"%s\"}\n" % os.path.join(self.tmp, "second.jsonl"),
                       "  - to: [second]\n")
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while "config reloaded" not in d.logs() and time.time() < deadline:
            time.sleep(0.02)
        self.assertIn("config reloaded", d.logs())
        self.assertEqual(d.post({"body": "after reload"})[0], 202)
        second = os.path.join(self.tmp, "second.jsonl")
        deadline = time.time() + 5
        while not (os.path.exists(second) and open(second).read()) and time.time() < deadline:
            time.sleep(0.02)
        self.assertIn("after reload", open(second).read())

        with open(d.config, "a") as f:
            f.write("  - to: [nonexistent]\nbogus_key: 1\n")
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while "reload rejected: the running config stays" not in d.logs() and time.time() < deadline:
            time.sleep(0.02)
        logs = d.logs()
        self.assertIn('unknown channel "nonexistent"', logs)
        self.assertIn('unknown key "bogus_key"', logs)
        self.assertEqual(d.post({"body": "still running"})[0], 202)
        status, _, data = d.request("GET", "/metrics")
        self.assertIn("notibus_config_reload_failures_total 1", data.decode())

        # A config that loads but whose channel cannot start is refused the same way.
        d.write_config("  refuser: {type: fault, refuse_start: true}\n", "  - to: [refuser]\n")
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while "notibus_config_reload_failures_total 2" not in d.request("GET", "/metrics")[2].decode() \
                and time.time() < deadline:
            time.sleep(0.02)
        self.assertIn("reload rejected: " + d.config + ": channels.refuser: cannot start fault channel: "
                      "scripted refusal to start", d.logs())
        self.assertEqual(d.post({"body": "still the first config"})[0], 202)

    def test_a_user_service_definition_is_served_and_reloaded(self):
        received = []

        class Sink(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                received.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
                body = b'{"accepted": true}'
                self.send_response(201)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        threading.Thread(target=sink.serve_forever, daemon=True).start()
        self.addCleanup(sink.shutdown)
        services = os.path.join(self.tmp, "services")
        os.mkdir(services)

        def define(path):
            with open(os.path.join(services, "alertsink.yaml"), "w") as f:
                f.write(f"""service: alertsink
description: A test sink.
options:
  endpoint: {{type: string, required: true, doc: The sink.}}
request:
  url: "{{{{options.endpoint}}}}{path}"
  json: {{summary: "{{{{message.title}}}}", id: "{{{{delivery_id}}}}"}}
responses:
  - when: {{status: 201, json: {{accepted: "true"}}}}
    outcome: delivered
""")

        define("/v1")
        channel = f"  sink: {{type: alertsink, endpoint: \"http://127.0.0.1:{sink.server_port}\"}}\n"
        d = self.start(channel, routes="  - to: [sink]\n", top_extra=f"service_dirs: [{services}]\n")
        self.assertEqual(d.post({"title": "first", "body": "b"})[0], 202)
        deadline = time.time() + 5
        while not received and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual(received[0][0], "/v1")
        self.assertEqual(received[0][1]["summary"], "first")
        define("/v2")  # an edited definition is read again on SIGHUP
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while "config reloaded" not in d.logs() and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual(d.post({"title": "second", "body": "b"})[0], 202)
        deadline = time.time() + 5
        while len(received) < 2 and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual(received[1][0], "/v2", d.logs())


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)')


def strict_parse_prometheus(text):
    """Text format 0.0.4, strictly: HELP/TYPE before samples, known types, well-formed samples."""
    samples, types = {}, {}
    assert text.endswith("\n"), "must end with a newline"
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if parts[1] == "TYPE":
                assert parts[3] in ("counter", "gauge", "histogram", "summary", "untyped"), line
                assert parts[2] not in types, f"TYPE twice for {parts[2]}"
                types[parts[2]] = parts[3]
            continue
        m = SAMPLE.match(line)
        assert m, f"malformed sample: {line!r}"
        name, labels_text, value = m.group(1), m.group(3) or "", m.group(4)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or base in types, f"sample before its TYPE: {name}"
        labels = []
        pos = 0
        while pos < len(labels_text):
            lm = LABEL.match(labels_text, pos)
            assert lm, f"malformed labels: {labels_text!r}"
            labels.append((lm.group(1), lm.group(2)))
            pos = lm.end()
        if types.get(base) == "histogram" and name.endswith("_bucket"):
            assert any(k == "le" for k, _ in labels), line
        key = (name, tuple(l for l in labels if l[0] != "le")) if not name.endswith("_bucket") else (name, tuple(labels))
        assert key not in samples, f"duplicate sample {key}"
        samples[key] = float(value)
    return samples


if __name__ == "__main__":
    unittest.main(verbosity=2)
