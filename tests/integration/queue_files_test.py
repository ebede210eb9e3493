#!/usr/bin/python3
"""Attachments through the shared queue (docs/attachments.md), against a real
nats-server with JetStream whose max_payload is 200,000 bytes: a message's
files ride in its JetStream message and arrive at a webhook receiver as
sent; a message with its files over max_payload is refused with 413 before
anything is stored; a dead letter keeps its files, so a retry delivers them.

Needs NOTIBUS_BIN and NOTIBUS_BUILD_DIR in the environment, and nats-server.
"""
import base64
import json
import os
import shutil
import tempfile
import unittest

from attachments_test import PNG, Sink, parts_of
from queue_lib import PLUGINS, Instance, NatsCluster, wait_until

LOG = b"2026-12-07 12:00:01 error: disk full on db1\n" * 200


class QueueFilesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="notibus-queue-files-")
        cls.nats = NatsCluster(cls.tmp, 1, extra="max_payload: 200000")
        cls.nats.start()
        cls.nats.wait_healthy()
        cls.hook, cls.flaky = Sink(), Sink()
        cls.instance = Instance(cls.tmp, "files", cls.nats.urls, 0, 1)
        with open(cls.instance.config, "w") as f:
            f.write(f"""version: 1
plugin_dirs: [{PLUGINS}]
queue: {{servers: [{cls.nats.urls[0]}], stream: FILES, replicas: 1, consumer: notibus, ack_wait: 3s}}
server: {{listen: "127.0.0.1:{cls.instance.port}", shutdown_grace: 2s}}
channels:
  hook: {{type: webhook, url: "{cls.hook.url}"}}
  flaky: {{type: webhook, url: "{cls.flaky.url}", retry: {{max_attempts: 1}}}}
routes:
  - match: {{topic: [flaky]}}
    to: [flaky]
  - to: [hook]
""")
        cls.instance.start()

    @classmethod
    def tearDownClass(cls):
        cls.instance.stop()
        cls.nats.stop_all()
        for sink in (cls.hook, cls.flaky):
            sink.close()
        shutil.rmtree(cls.tmp)

    def post(self, body, files):
        attachments = [{"name": n, "type": t, "content": base64.b64encode(b).decode()} for n, b, t in files]
        return self.instance.request("POST", "/v1/messages",
                                     {"topic": "files", "body": body, "attachments": attachments})

    def received(self, sink, body):
        found = []

        def find():
            for headers, raw in list(sink.requests):
                parts = parts_of(headers, raw)
                if json.loads(parts[0][3])["body"] == body:
                    found.append([p[1:] for p in parts[1:]])
                    return True
            return False
        wait_until(f"a request with body {body!r}", find, 20)
        return found[0]

    def test_files_ride_in_the_queue_message(self):
        status, answer, _ = self.post("two files", [("shot.png", PNG, "image/png"),
                                                    ("app.log", LOG, "text/plain")])
        self.assertEqual(status, 202, answer)
        self.assertEqual(self.received(self.hook, "two files"),
                         [("shot.png", "image/png", PNG), ("app.log", "text/plain", LOG)])

    def test_files_over_the_servers_max_payload_are_refused_before_storing(self):
        stored = self.instance.metric("notibus_queue_accepted_total")
        status, answer, _ = self.post("too big", [("big.bin", b"x" * 190000, "application/octet-stream")])
        self.assertEqual(status, 413, answer)
        self.assertEqual((answer["error"], answer["field"]), ("attachment_too_large", "attachments"))
        self.assertIn("max_payload", answer["detail"])
        self.assertEqual(self.instance.metric("notibus_queue_accepted_total"), stored)

    def test_a_dead_letter_keeps_its_files_for_a_retry(self):
        self.flaky.down = True
        status, answer, _ = self.instance.request("POST", "/v1/messages", {
            "topic": "flaky", "body": "kept for later",
            "attachments": [{"name": "app.log", "content": base64.b64encode(LOG).decode()}]})
        self.assertEqual(status, 202, answer)
        first = answer["id"]

        def dead():
            _, listing, _ = self.instance.request("GET", "/v1/dead-letters")
            return first in json.dumps(listing)
        wait_until("the dead letter", dead, 20)
        self.flaky.down = False
        status, answer, _ = self.instance.request("POST", f"/v1/dead-letters/{first}/retry")
        self.assertEqual(status, 202, answer)
        self.assertEqual(self.received(self.flaky, "kept for later"), [("app.log", "text/plain", LOG)])


if __name__ == "__main__":
    unittest.main()
