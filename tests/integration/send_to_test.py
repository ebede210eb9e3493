#!/usr/bin/python3
"""`notibus send --to URL...`: Apprise-style URLs with no config file, against
stand-ins on 127.0.0.1. The URLs are secrets: no output repeats them."""
import http.server
import json
import os
import subprocess
import threading
import unittest

BIN = os.environ["NOTIBUS_BIN"]


class Recorder(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Recorder.received.append((self.path, body))
        if "sendMessage" in self.path:  # a Telegram Bot API stand-in
            payload, status = b'{"ok":true,"result":{"message_id":1}}', 200
        else:
            payload, status = b"", 204
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class SendToTest(unittest.TestCase):
    def setUp(self):
        Recorder.received = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"127.0.0.1:{self.server.server_port}"

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()

    def send(self, *args):
        return subprocess.run([BIN, "send", *args], capture_output=True, text=True, timeout=60)

    def test_two_urls_two_deliveries(self):
        p = self.send("--to", f"json://{self.base}/hook", "--to",
                      f"tgram://123456:SECRETBOT/-100200?api_url=http://{self.base}",
                      "--title", "Deploy ✓", "--body", "done")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("to1: delivered", p.stdout)
        self.assertIn("to2: delivered", p.stdout)
        paths = sorted(path for path, _ in Recorder.received)
        self.assertEqual(paths, ["/bot123456:SECRETBOT/sendMessage", "/hook"])
        hook = json.loads([b for path, b in Recorder.received if path == "/hook"][0])
        self.assertEqual((hook["title"], hook["body"]), ("Deploy ✓", "done"))
        self.assertNotIn("SECRETBOT", p.stdout + p.stderr)

    def test_a_bad_url_is_a_usage_error_that_shows_the_form_not_the_url(self):
        p = self.send("--to", "discord://only-SECRETPART", "--body", "x")
        self.assertEqual(p.returncode, 2)
        self.assertIn("notibus send: --to #1: a discord:// URL is written discord://{webhook_id}/{webhook_token}",
                      p.stderr)
        self.assertNotIn("SECRETPART", p.stdout + p.stderr)
        p = self.send("--to", "nosuch://x", "--body", "x")
        self.assertEqual(p.returncode, 2)
        self.assertIn('unknown URL scheme "nosuch"', p.stderr)

    def test_to_and_a_config_do_not_mix(self):
        p = self.send("--to", f"json://{self.base}/hook", "-c", "x.yaml", "--body", "x")
        self.assertEqual(p.returncode, 2)
        self.assertIn("not both", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
