"""What ingest_test.py's cases share: `notibus serve` running
examples/ingest.yaml as a newcomer copies it, plain HTTP requests to it, and
the messages its file channel wrote."""
import base64
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

BIN = os.environ["NOTIBUS_BIN"]
SOURCE = os.environ["NOTIBUS_SOURCE_DIR"]
HERE = os.path.join(SOURCE, "tests", "integration")
FIXTURES = os.path.join(HERE, "ingest_fixtures")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def npm_peers():
    out = subprocess.run(["bash", "-c", f"source {HERE}/npm_peers.sh && npm_peers"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def wait_until(predicate, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


class IngestServer(unittest.TestCase):
    config = os.path.join(SOURCE, "examples", "ingest.yaml")  # a case may write its own

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="notibus-ingest-")
        cls.port = free_port()
        cls.own_port = free_port()  # for a dialect on a listener of its own
        cls.token = secrets.token_hex(16)
        cls.out = os.path.join(cls.dir, "out.jsonl")
        env = dict(os.environ, NOTIBUS_LISTEN=f"127.0.0.1:{cls.port}",
                   NOTIBUS_DIALECT_LISTEN=f"127.0.0.1:{cls.own_port}",
                   NOTIBUS_INGEST_TOKEN=cls.token, NOTIBUS_INGEST_OUT=cls.out)
        cls.log = open(os.path.join(cls.dir, "serve.log"), "w+")
        cls.server = subprocess.Popen(
            [BIN, "serve", "-c", cls.config_file()],
            env=env, stdout=cls.log, stderr=subprocess.STDOUT)
        ok = wait_until(lambda: cls.get("/healthz", {"Authorization": "Bearer " + cls.token})[0] == 200)
        assert ok, "notibus serve did not start"

    @classmethod
    def config_file(cls):
        if os.path.exists(cls.config):
            return cls.config
        path = os.path.join(cls.dir, "serve.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(cls.config)
        return path

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=20)
        cls.log.seek(0)
        log = cls.log.read()
        cls.log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert cls.token not in log, "the ingest token was written to the log"

    @classmethod
    def request(cls, method, path, body=b"", headers=None, port=None):
        conn = http.client.HTTPConnection("127.0.0.1", port or cls.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read().decode(), dict(r.getheaders())
        except OSError:
            return 0, "", {}
        finally:
            conn.close()

    @classmethod
    def get(cls, path, headers=None):
        return cls.request("GET", path, headers=headers)

    def post_json(self, path, obj, headers=None):
        h = {"Content-Type": "application/json", **(headers or {})}
        return self.request("POST", path, json.dumps(obj).encode(), h)

    def messages(self):
        if not os.path.exists(self.out):
            return []
        with open(self.out, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def delivered(self, predicate, count=1):
        found = wait_until(lambda: len([m for m in self.messages() if predicate(m)]) >= count)
        self.assertTrue(found, f"not delivered: {[m for m in self.messages()][-3:]}")
        time.sleep(0.2)
        return [m for m in self.messages() if predicate(m)]

    def source(self, m):
        return m["attributes"].get("notibus.source")

    def server_log(self):
        self.log.flush()
        with open(self.log.name, encoding="utf-8") as f:
            return f.read()
