#!/usr/bin/python3
"""Files through the ingestion dialects (docs/ingest.md): curl as the Apprise
API's README shows it (attach=@FILE, and `attach` URLs), curl as ntfy's docs show it
(a file PUT with a Filename header, X-Attach with a URL), Discord's
multipart with payload_json and files[n]; each arrives at a webhook
receiver as the file sent, by the same path as POST /v1/messages (URL
attachments fetched, limits checked: 413 in the dialect's shape).

Needs NOTIBUS_BIN and NOTIBUS_SOURCE_DIR in the environment, and curl.
"""
import http.server
import json
import os
import subprocess
import threading
import unittest

from attachments_test import PNG, Sink, parts_of
from ingest_lib import FIXTURES, IngestServer, wait_until

LOG = b"2026-12-07 12:00:01 error: disk full on db1\n" * 20


class FileServer:
    """Serves PNG at /shot.png on 127.0.0.1 (an X-Attach URL)."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != "/shot.png":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/shot.png"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


SINK = Sink()
FILES = FileServer()


class DialectFilesTest(IngestServer):
    config = f"""version: 1
server: {{listen: "${{NOTIBUS_LISTEN}}", auth_token: "${{NOTIBUS_INGEST_TOKEN}}", max_body: 4096}}
attachments: {{max_size: 100000, max_total: 150000, fetch: {{allow_private: true}}}}
ingest:
  token: ${{NOTIBUS_INGEST_TOKEN}}
  apprise: {{enabled: true, keys: {{notibus: files}}}}
  discord: {{enabled: true}}
  ntfy: {{enabled: true}}
  grafana: {{enabled: true}}
channels:
  hook: {{type: webhook, url: "{SINK.url}"}}
routes:
  - to: [hook]
"""

    def received(self, body):
        """The payload and file parts of the request whose message body is `body`."""
        def find():
            for headers, raw in list(SINK.requests):
                parts = parts_of(headers, raw)
                payload = json.loads(parts[0][3])
                if payload["body"] == body:
                    return payload, [p[1:] for p in parts[1:]]
            return None
        found = wait_until(find, 15)
        self.assertTrue(found, f"no request with body {body!r}")
        return found

    def received_start(self, start):
        """As received, for the request whose message body starts with `start`."""
        def find():
            for headers, raw in list(SINK.requests):
                parts = parts_of(headers, raw) if b"multipart" in headers.get("Content-Type", "").encode() else [(None, None, None, raw)]
                payload = json.loads(parts[0][3])
                if payload["body"].startswith(start):
                    return payload, [p[1:] for p in parts[1:]]
            return None
        found = wait_until(find, 15)
        self.assertTrue(found, f"no request with a body starting {start!r}")
        return found

    def test_apprise_api_attach_with_curl_as_its_docs_show(self):
        # Debian's apprise CLI (1.2) sends no files to apprise://; the Apprise
        # API's README posts them with curl -F attach=@FILE.
        log = os.path.join(self.dir, "app.log")
        with open(log, "wb") as f:
            f.write(LOG)
        out = subprocess.run(["curl", "-sS", "-u", f"notibus:{self.token}", "-F", "title=Backup",
                              "-F", "body=see the log", "-F", f"attach=@{log}",
                              f"http://127.0.0.1:{self.port}/notify/notibus"],
                             capture_output=True, text=True, timeout=30)
        self.assertIn('"id"', out.stdout, out.stderr)
        payload, files = self.received("see the log")
        self.assertEqual((payload["title"], payload["body"], payload["topic"]),
                         ("Backup", "see the log", "files"))
        self.assertEqual(files, [("app.log", "text/plain", LOG)])
        status, text, _ = self.post_json("/notify/notibus", {"body": "by URL", "attach": FILES.url},
                                         {"Authorization": f"Bearer {self.token}"})
        self.assertEqual(status, 200, text)
        payload, files = self.received("by URL")
        self.assertEqual(files, [("shot.png", "image/png", PNG)])

    def test_ntfy_put_a_file_and_attach_a_url_with_curl(self):
        path = os.path.join(self.dir, "shot.png")
        with open(path, "wb") as f:
            f.write(PNG)
        base = f"http://127.0.0.1:{self.port}/uploads"
        auth = ["-H", f"Authorization: Bearer {self.token}"]
        out = subprocess.run(["curl", "-sS", "-T", path, "-H", "Filename: flower.png", *auth, base],
                             capture_output=True, text=True, timeout=30)
        answer = json.loads(out.stdout)
        self.assertIn("message", answer, out.stdout)
        self.assertEqual((answer["message"], answer["attachment"]["name"], answer["attachment"]["size"]),
                         ("You received a file: flower.png", "flower.png", len(PNG)))
        payload, files = self.received("You received a file: flower.png")
        self.assertEqual(files, [("flower.png", "image/png", PNG)])
        out = subprocess.run(["curl", "-sS", "-d", "look at this", "-H", f"X-Attach: {FILES.url}",
                              *auth, base], capture_output=True, text=True, timeout=30)
        self.assertEqual(json.loads(out.stdout)["attachment"]["url"], FILES.url)
        payload, files = self.received("look at this")
        self.assertEqual(files, [("shot.png", "image/png", PNG)])

    def test_discord_files_beside_payload_json(self):
        boundary = "b0undary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n"
                '{"content": "**deploy** done"}\r\n'
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"files[0]\"; "
                "filename=\"build.log\"\r\nContent-Type: text/plain\r\n\r\n").encode() + LOG + \
            f"\r\n--{boundary}--\r\n".encode()
        status, text, _ = self.request("POST", f"/api/webhooks/1/{self.token}", body,
                                       {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        self.assertEqual(status, 204, text)
        payload, files = self.received("**deploy** done")
        self.assertEqual(files, [("build.log", "text/plain", LOG)])

    def test_grafana_images_are_attached_when_they_can_be_fetched(self):
        # Grafana's own example body, with an image on each alert: one the
        # file server has, one it answers 404 for. The alert goes with the
        # one image; the other stays a link and is named as left out.
        with open(os.path.join(FIXTURES, "grafana_webhook.json"), encoding="utf-8") as f:
            hook = json.load(f)
        missing = FILES.url.replace("shot.png", "gone.png")
        hook["alerts"][0]["imageURL"], hook["alerts"][1]["imageURL"] = FILES.url, missing
        hook["message"] = "grafana with images"
        status, text, _ = self.post_json("/hooks/grafana", hook,
                                         {"Authorization": f"Bearer {self.token}"})
        self.assertEqual(status, 200, text)
        payload, files = self.received_start("grafana with images")
        self.assertEqual(files, [("shot.png", "image/png", PNG)])
        self.assertIn(f"Image: {missing}", payload["body"])
        self.assertEqual(payload["attributes"]["attachments.left_out"],
                         f"{missing}: HTTP 404")

    def test_limits_answer_in_each_dialects_shape(self):
        big = b"x" * 100001  # over attachments.max_size
        auth = {"Authorization": f"Bearer {self.token}", "Filename": "big.bin"}
        status, text, _ = self.request("PUT", "/uploads", big, auth)
        self.assertEqual(status, 413, text)
        self.assertEqual(json.loads(text)["code"], 41301)
        self.assertIn("attachments[0]", json.loads(text)["error"])
        # Only files may take a body past max_body (4096): text may not.
        status, text, _ = self.request("POST", "/uploads", b"y" * 5000,
                                       {"Authorization": f"Bearer {self.token}"})
        self.assertEqual(status, 413, text)
        # A URL the fetch cannot reach: refused, nothing delivered.
        before = len(SINK.requests)
        status, text, _ = self.request("POST", "/notify/notibus",
                                       json.dumps({"body": "b", "attach": FILES.url + "x/404"}).encode(),
                                       {"Authorization": f"Bearer {self.token}",
                                        "Content-Type": "application/json"})
        self.assertEqual(status, 400, text)
        self.assertIn("attachments[0].url", json.loads(text)["error"])
        self.assertEqual(len(SINK.requests), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
