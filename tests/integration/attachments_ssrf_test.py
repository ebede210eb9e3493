#!/usr/bin/python3
"""URL attachments and the guard on where they may be fetched from
(docs/attachments.md). The whole test runs in a network namespace of its own
(`unshare -n`) holding only loopback, plus 1.2.3.4 on it as a stand-in public
server: a guard that failed could not send traffic off the machine.

Refused by default: 127.0.0.1, ::1, a private address (10.0.0.1), the cloud
metadata address (169.254.169.254), a name resolving to loopback
(localhost), and a redirect from the public stand-in to loopback. Allowed:
the public stand-in, and loopback once `fetch.allow_private` says so.

Needs NOTIBUS_BIN, NOTIBUS_BUILD_DIR and NOTIBUS_TEST_MODULES in the environment.
"""
import json
import os
import subprocess
import sys

if __name__ == "__main__" and "--inside" not in sys.argv:
    # Re-run inside a fresh network namespace (root, or unprivileged user namespaces).
    cmd = ["unshare", "-n", "--", sys.executable, *sys.argv, "--inside"]
    if os.geteuid() != 0:
        cmd = ["unshare", "-r", "-n", "--", sys.executable, *sys.argv, "--inside"]
    sys.exit(subprocess.call(cmd))

import http.server
import threading
import time
import unittest

from attachments_test import PNG, SinkCase, parts_of
from daemon_test import BIN

PUBLIC = "1.2.3.4"


def file_server(host):
    """Serves PNG at /shot.png and redirects /to/<url-ending> to loopback."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/to/"):
                self.send_response(302)
                self.send_header("Location", "http://127.0.0.1:%d/shot.png" % loop.server_address[1])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


loop = None


class SsrfTest(SinkCase):
    @classmethod
    def setUpClass(cls):
        global loop
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "addr", "add", PUBLIC + "/32", "dev", "lo"], check=True)
        loop = file_server("127.0.0.1")
        cls.public = file_server(PUBLIC)

    def start(self, top_extra=""):
        return self.daemon(f"  hook: {{type: webhook, url: \"{self.sink.url}\"}}\n", "  - to: [hook]\n",
                           top_extra=top_extra)

    def test_non_public_addresses_are_refused_by_default(self):
        d = self.start()
        lp = loop.server_address[1]
        pp = self.public.server_address[1]
        cases = {
            f"http://127.0.0.1:{lp}/shot.png": "127.0.0.1, a loopback address",
            f"http://[::1]:{lp}/shot.png": "::1, a loopback address",
            f"http://localhost:{lp}/shot.png": "a loopback address",
            "http://10.0.0.1/x.png": "10.0.0.1, a private address",
            "http://169.254.169.254/latest/meta-data/": "169.254.169.254, a link-local (cloud metadata) address",
            "http://[::ffff:127.0.0.1]/x": "a loopback address",
            f"http://{PUBLIC}:{pp}/to/loopback": "127.0.0.1, a loopback address",
            "ftp://example.com/x": "is not an http:// or https:// URL",
        }
        for url, words in cases.items():
            status, _, body = d.post({"body": "b", "attachments": [{"url": url + "?token=SECRETQ"}]})
            self.assertEqual((status, body["error"], body["field"]), (400, "attachment_fetch_failed",
                                                                      "attachments[0].url"), url)
            self.assertIn(words, body["detail"])
            self.assertNotIn("SECRETQ", body["detail"])
        time.sleep(0.2)
        self.assertEqual(self.sink.requests, [])

    def test_a_public_address_is_fetched_and_named_from_the_url(self):
        d = self.start()
        pp = self.public.server_address[1]
        status, _, body = d.post({"body": "b", "attachments": [{"url": f"http://{PUBLIC}:{pp}/shot.png"}]})
        self.assertEqual(status, 202, body)
        (headers, raw), = self.sink.wait(1)
        self.assertEqual(parts_of(headers, raw)[1][1:], ("shot.png", "image/png", PNG))

    def test_allow_private_opens_loopback_and_limits_still_hold(self):
        d = self.start("attachments: {max_size: 1000, fetch: {allow_private: true}}\n")
        lp = loop.server_address[1]
        status, _, body = d.post({"body": "b", "attachments": [{"url": f"http://127.0.0.1:{lp}/shot.png"}]})
        self.assertEqual((status, body["error"]), (400, "attachment_fetch_failed"), body)
        self.assertIn("larger than attachments.max_size (1000 bytes)", body["detail"])
        d2 = self.start("attachments: {fetch: {allow_private: true}}\n")
        status, _, body = d2.post({"body": "b", "attachments": [
            {"name": "renamed.png", "url": f"http://127.0.0.1:{lp}/shot.png"}]})
        self.assertEqual(status, 202, body)
        (headers, raw), = self.sink.wait(1)
        self.assertEqual(parts_of(headers, raw)[1][1:], ("renamed.png", "image/png", PNG))

    def test_send_fetches_urls_under_the_same_guard(self):
        config = os.path.join(self.tmp, "send.yaml")
        with open(config, "w") as f:
            f.write(f"version: 1\nplugin_dirs: [{os.environ['NOTIBUS_BUILD_DIR']}/plugins]\n"
                    f"channels:\n  hook: {{type: webhook, url: \"{self.sink.url}\"}}\nroutes:\n  - to: [hook]\n")
        lp = loop.server_address[1]
        r = subprocess.run([BIN, "send", "-c", config, "--body", "b", "--attach",
                            f"http://127.0.0.1:{lp}/shot.png"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("attachments[0].url: cannot fetch: 127.0.0.1 is 127.0.0.1, a loopback address", r.stderr)
        pp = self.public.server_address[1]
        r = subprocess.run([BIN, "send", "-c", config, "--body", "b", "--attach",
                            f"http://{PUBLIC}:{pp}/shot.png"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        (headers, raw), = self.sink.wait(1)
        self.assertEqual(parts_of(headers, raw)[1][1:], ("shot.png", "image/png", PNG))


if __name__ == "__main__":
    sys.argv.remove("--inside")
    unittest.main()
