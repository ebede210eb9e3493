#!/usr/bin/python3
"""Attachments through `notibus serve` and `notibus send` (docs/attachments.md):
JSON with base64 and multipart/form-data in, multipart or JSON out of the
webhook to a real HTTP server on 127.0.0.1 that parses what arrived, the
channel fallback, the limits and bad input, and the spool keeping files
across SIGKILL and removing them once delivered.

Needs NOTIBUS_BIN, NOTIBUS_BUILD_DIR and NOTIBUS_TEST_MODULES in the environment.
"""
import base64
import hashlib
import hmac
import email.parser
import email.policy
import http.server
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from daemon_test import BIN, TOKEN, Daemon

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40  # sniffed as image/png
LOG = "line one\nline two: ünïcode\n".encode() * 50


class Sink:
    """An HTTP server that keeps each request's headers and body; 503 while `down`."""

    def __init__(self):
        self.requests, self.down = [], False
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if sink.down:
                    self.send_response(503)
                else:
                    sink.requests.append((dict(self.headers), body))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, n, limit=15):
        deadline = time.time() + limit
        while len(self.requests) < n and time.time() < deadline:
            time.sleep(0.02)
        return self.requests

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def parts_of(headers, body):
    """The multipart/form-data parts: [(name, filename, content type, bytes)]."""
    head = f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    assert msg.is_multipart(), headers
    return [(p.get_param("name", header="content-disposition"), p.get_filename(),
             p.get_content_type(), p.get_payload(decode=True)) for p in msg.iter_parts()]


def multipart(fields, files, boundary="XyZ-boundary-123"):
    out = b""
    for name, value in fields:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n"
                f"Content-Type: application/json\r\n\r\n").encode() + value + b"\r\n"
    for name, data, ctype in files:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
                + (f"Content-Type: {ctype}\r\n" if ctype else "") + "\r\n").encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class SinkCase(unittest.TestCase):
    """A temp dir, a Sink, and daemons stopped (never having logged the token) at the end."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.sink = Sink()
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.stop(signal.SIGKILL)
            self.assertNotIn(TOKEN, d.logs())
        self.sink.close()
        shutil.rmtree(self.tmp)

    def daemon(self, channels, routes, **kw):
        d = Daemon(self.tmp, channels, routes=routes, **kw)
        self.daemons.append(d)
        return d


class AttachmentsTest(SinkCase):

    def start(self, hook_extra="", top_extra="", server_extra=""):
        channels = f"  hook: {{type: webhook, url: \"{self.sink.url}\"{hook_extra}}}\n"
        return self.daemon(channels, "  - to: [hook, archive]\n", top_extra=top_extra,
                           server_extra=server_extra)

    def status_of(self, d, message_id, limit=10):
        deadline = time.time() + limit
        while time.time() < deadline:
            _, _, data = d.request("GET", f"/v1/messages/{message_id}")
            report = json.loads(data)
            if all(c["state"] != "pending" for c in report["channels"]):
                return report
            time.sleep(0.05)
        return report

    def test_json_base64_in_multipart_out_and_the_file_channel_omits(self):
        d = self.start()
        status, _, body = d.post({"title": "report", "body": "see attached", "attachments": [
            {"name": "shot.png", "content": base64.b64encode(PNG).decode()},
            {"name": "app log.txt", "type": "Text/Plain; charset=utf-8",
             "content": base64.b64encode(LOG).decode()}]})
        self.assertEqual(status, 202, body)
        (headers, raw), = self.sink.wait(1)
        parts = parts_of(headers, raw)
        self.assertEqual([p[0] for p in parts], ["payload", "attachments", "attachments"])
        payload = json.loads(parts[0][3])
        self.assertEqual((payload["title"], payload["body"]), ("report", "see attached"))
        self.assertEqual(parts[1][1:], ("shot.png", "image/png", PNG))
        self.assertEqual(parts[2][1:], ("app log.txt", "text/plain", LOG))
        report = self.status_of(d, body["id"])
        self.assertEqual(report["attachments"], [
            {"name": "shot.png", "type": "image/png", "size": len(PNG)},
            {"name": "app log.txt", "type": "text/plain; charset=utf-8", "size": len(LOG)}])
        channels = {c["channel"]: c for c in report["channels"]}
        self.assertEqual(channels["hook"]["attachments"], ["sent", "sent"])
        self.assertEqual(channels["archive"]["state"], "delivered")
        self.assertEqual(channels["archive"]["attachments"], ["omitted", "omitted"])
        self.assertIn("2 attachments omitted: file takes no attachments", channels["archive"]["detail"])

    def test_a_signature_covers_the_whole_multipart_body(self):
        key = bytes(range(32))
        secret = "whsec_" + base64.b64encode(key).decode()
        d = self.start(f", signing: {{secret: \"{secret}\"}}")
        status, _, body = d.post({"body": "signed", "attachments": [
            {"name": "shot.png", "content": base64.b64encode(PNG).decode()}]})
        self.assertEqual(status, 202, body)
        (headers, raw), = self.sink.wait(1)
        self.assertIn(PNG, raw)
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + raw
        want = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        self.assertEqual(headers["webhook-signature"], want)

    def test_multipart_in_keeps_names_and_types(self):
        d = self.start()
        data, ctype = multipart([("message", json.dumps({"body": "two files"}).encode())],
                                [("rapport é.pdf", b"%PDF-1.7\nbinary\x00\x01", None),
                                 ("q\"uote.csv", b"a,b\n1,2\n", "text/csv")])
        status, _, raw = d.request("POST", "/v1/messages", data, headers={"Content-Type": ctype})
        self.assertEqual(status, 202, raw)
        (headers, body), = self.sink.wait(1)
        parts = parts_of(headers, body)
        self.assertEqual(parts[1][1:], ("rapport é.pdf", "application/pdf", b"%PDF-1.7\nbinary\x00\x01"))
        self.assertEqual(parts[2][2:], ("text/csv", b"a,b\n1,2\n"))
        self.assertEqual(parts[2][1], "q%22uote.csv")  # a quote goes as %22, as browsers send it

    def test_json_encoding_and_fail_fallback(self):
        strict = os.path.join(self.tmp, "s.jsonl")
        d = self.daemon(f"  hook: {{type: webhook, url: \"{self.sink.url}\", attachments_as: json}}\n"
                        f"  strict: {{type: file, path: \"{strict}\", attachments: fail}}\n",
                        "  - to: [hook, strict]\n")
        status, _, body = d.post({"body": "b", "attachments": [
            {"name": "a.bin", "type": "application/octet-stream", "content": base64.b64encode(b"\x00\x01\x02").decode()}]})
        self.assertEqual(status, 202, body)
        (headers, raw), = self.sink.wait(1)
        self.assertEqual(headers["Content-Type"], "application/json")
        sent = json.loads(raw)
        self.assertEqual(sent["attachments"], [{"name": "a.bin", "type": "application/octet-stream",
                                                "size": 3, "content": "AAEC"}])
        strict = next(c for c in self.status_of(d, body["id"])["channels"] if c["channel"] == "strict")
        self.assertEqual(strict["state"], "failed")
        self.assertIn("1 attachment cannot be sent: file takes no attachments", strict["last_error"])

    def test_limits_and_bad_input_are_refused_and_nothing_is_sent(self):
        d = self.start(top_extra="attachments: {max_size: 1000, max_total: 1500, max_count: 2}\n")
        b64 = lambda n: base64.b64encode(b"x" * n).decode()
        cases = [
            ([{"name": "big.txt", "content": b64(1001)}], 413, "attachments[0]", "attachments.max_size"),
            ([{"name": "a", "content": b64(800)}, {"name": "b", "content": b64(800)}], 413,
             "attachments", "attachments.max_total"),
            ([{"name": "a", "content": b64(1)}] * 3, 413, "attachments", "attachments.max_count"),
            ([{"name": "../../etc/passwd", "content": b64(5)}], 400, "attachments[0].name", "directory"),
            ([{"name": "a\r\nX-Evil: 1", "content": b64(5)}], 400, "attachments[0].name", "control"),
            ([{"name": "empty", "content": ""}], 400, "attachments[0].content", "base64"),
            ([{"name": "bad", "content": "not base64!"}], 400, "attachments[0].content", "base64"),
            ([{"name": "t", "type": "text/plain\r\nX: y", "content": b64(5)}], 400, "attachments[0].type", "media type"),
        ]
        for attachments, code, field, words in cases:
            status, _, body = d.post({"body": "b", "attachments": attachments})
            self.assertEqual((status, body["field"]), (code, field), (attachments, body))
            self.assertIn(words, body["detail"])
        data, ctype = multipart([("message", b'{"body": "x"}')], [("f.txt", b"abc", None)])
        for broken in (data[:-10], data.replace(b"XyZ-boundary-123", b"other", 1)):
            status, _, raw = d.request("POST", "/v1/messages", broken, headers={"Content-Type": ctype})
            self.assertEqual(status, 400, raw)
            self.assertEqual(json.loads(raw)["error"], "malformed_multipart")
        # A body past max_body (4096) without a token is refused before it is read.
        status, _, _ = d.request("POST", "/v1/messages", b"{" + b" " * 6000 + b"}",
                                 headers={"Content-Type": "application/json"}, token=None)
        self.assertEqual(status, 401)
        time.sleep(0.3)
        self.assertEqual(self.sink.requests, [])
        self.assertEqual(d.delivered_lines(), [])

    def test_the_spool_keeps_files_across_sigkill_and_removes_them(self):
        spool = os.path.join(self.tmp, "spool")
        self.sink.down = True
        d = self.start(", retry: {initial_backoff: 5s, max_backoff: 10s}",
                       server_extra=f"spool:\n  dir: {spool}\n")
        status, _, body = d.post({"body": "durable", "attachments": [
            {"name": "shot.png", "content": base64.b64encode(PNG).decode()}]})
        self.assertEqual(status, 202, body)
        blobs = os.path.join(spool, "blobs")
        self.assertEqual(os.listdir(blobs), [body["id"] + ".0"])
        time.sleep(0.3)
        d.stop(signal.SIGKILL)
        self.sink.down = False
        d2 = self.daemon(f"  hook: {{type: webhook, url: \"{self.sink.url}\"}}\n", "  - to: [hook]\n",
                         server_extra=f"spool:\n  dir: {spool}\n")
        self.assertEqual(len(self.sink.wait(1)), 1, d2.logs())
        (headers, raw), = self.sink.requests
        self.assertEqual(parts_of(headers, raw)[1][1:], ("shot.png", "image/png", PNG))
        deadline = time.time() + 5
        while os.listdir(blobs) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(os.listdir(blobs), [])

    def test_discord_uploads_files_natively(self):
        d = self.daemon(f"  discord: {{type: discord, webhook_url: \"{self.sink.url}\"}}\n",
                        "  - to: [discord]\n")
        files = [{"name": f"f{i}.txt", "content": base64.b64encode(b"x%d" % i).decode()} for i in range(3)]
        files.append({"name": "shot.png", "content": base64.b64encode(PNG).decode()})
        status, _, body = d.post({"title": "T", "body": "see **these**", "attachments": files})
        self.assertEqual(status, 202, body)
        (headers, raw), = self.sink.wait(1)
        parts = parts_of(headers, raw)
        self.assertEqual([p[0] for p in parts],
                         ["payload_json", "files[0]", "files[1]", "files[2]", "files[3]"])
        self.assertEqual(json.loads(parts[0][3])["content"], "**T**\nsee **these**")
        self.assertEqual(parts[4][1:], ("shot.png", "image/png", PNG))
        discord, = self.status_of(d, body["id"])["channels"]
        self.assertEqual(discord["attachments"], ["sent"] * 4)

    def test_a_dead_letter_keeps_its_files_until_retried(self):
        spool = os.path.join(self.tmp, "spool")
        blobs = os.path.join(spool, "blobs")
        self.sink.down = True
        d = self.start(", retry: {max_attempts: 1}", server_extra=f"spool:\n  dir: {spool}\n")
        status, _, body = d.post({"body": "dead", "attachments": [
            {"name": "shot.png", "content": base64.b64encode(PNG).decode()}]})
        self.assertEqual(status, 202, body)
        hook = next(c for c in self.status_of(d, body["id"])["channels"] if c["channel"] == "hook")
        self.assertEqual(hook["state"], "failed")
        self.assertEqual(os.listdir(blobs), [body["id"] + ".0"])  # kept with the dead letter
        self.sink.down = False
        status, _, raw = d.request("POST", f"/v1/dead-letters/{body['id']}/retry")
        self.assertEqual(status, 202, raw)
        retry = json.loads(raw)["id"]
        (headers, data), = self.sink.wait(1)
        self.assertEqual(parts_of(headers, data)[1][1:], ("shot.png", "image/png", PNG))
        self.assertEqual(self.status_of(d, retry)["delivered"], True)
        deadline = time.time() + 5
        while os.listdir(blobs) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(os.listdir(blobs), [])  # the dead letter's and the retry's files are gone

    def test_send_attaches_files(self):
        path = os.path.join(self.tmp, "notes.md")
        with open(path, "wb") as f:
            f.write(LOG)
        config = os.path.join(self.tmp, "send.yaml")
        with open(config, "w") as f:
            f.write(f"version: 1\nplugin_dirs: [{os.environ['NOTIBUS_BUILD_DIR']}/plugins]\n"
                    f"channels:\n  hook: {{type: webhook, url: \"{self.sink.url}\"}}\n"
                    "routes:\n  - to: [hook]\n")
        r = subprocess.run([BIN, "send", "-c", config, "--body", "b", "--attach", path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        (headers, raw), = self.sink.wait(1)
        self.assertEqual(parts_of(headers, raw)[1][1:], ("notes.md", "text/markdown", LOG))
        r = subprocess.run([BIN, "send", "-c", config, "--body", "b", "--attach", path + ".missing"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot read attachment " + path + ".missing", r.stderr)


if __name__ == "__main__":
    unittest.main()
