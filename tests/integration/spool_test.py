#!/usr/bin/python3
"""`notibus serve` with a spool: what was answered 202 survives SIGKILL, torn
writes, corrupt segments and a full spool; dead letters through the CLI.

Needs NOTIBUS_BIN, NOTIBUS_BUILD_DIR and NOTIBUS_TEST_MODULES in the environment.
"""
import glob
import json
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import unittest

from daemon_test import BIN, TOKEN, Daemon, strict_parse_prometheus

CLI_ENV = dict(os.environ, NOTIBUS_TOKEN=TOKEN)  # the config names ${NOTIBUS_TOKEN}

HANG = "  pending: {type: fault, mode: hang}\n"
DELIVER = "  pending: {type: file, path: \"%s\"}\n"
ROUTES = "  - to: [pending]\n"


def record_ends(path):
    """Where each record of a segment ends ([u32 length][u32 crc][u8 type][payload])."""
    with open(path, "rb") as f:
        data = f.read()
    ends, at = [], 0
    while at + 9 <= len(data):
        (length,) = struct.unpack_from("<I", data, at)
        at += 9 + length
        ends.append(at)
    return ends


class SpoolTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.spool = os.path.join(self.tmp, "spool")
        self.delivered = os.path.join(self.tmp, "delivered.jsonl")
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.stop(signal.SIGKILL)
            self.assertNotIn(TOKEN, d.logs())
        shutil.rmtree(self.tmp)

    def start(self, deliver, spool_extra="", channel=None):
        """A daemon whose `pending` channel hangs (deliver=False), writes to a file, or is `channel`."""
        spool = f"spool:\n  dir: {self.spool}\n{spool_extra}"
        channel = channel or (DELIVER % self.delivered if deliver else HANG)
        d = Daemon(self.tmp, channel, routes=ROUTES, server_extra=spool)
        self.daemons.append(d)
        return d

    def kill(self, d):
        d.stop(signal.SIGKILL)

    def delivered_ids(self, want, limit=15):
        deadline = time.time() + limit
        ids = []
        while time.time() < deadline:
            if os.path.exists(self.delivered):
                with open(self.delivered) as f:
                    ids = [json.loads(l)["id"] for l in f if l.strip()]
            if set(want) <= set(ids):
                break
            time.sleep(0.05)
        return ids

    def accept(self, d, n, prefix="m"):
        ids = []
        for i in range(n):
            status, _, body = d.post({"body": f"{prefix} {i}", "idempotency_key": f"{prefix}-{i}"})
            self.assertEqual(status, 202, body)
            ids.append(body["id"])
        return ids

    def segments(self):
        return sorted(p for p in glob.glob(os.path.join(self.spool, "*.seg")) if os.path.getsize(p) > 0)

    def test_accepted_messages_survive_sigkill_and_are_delivered_once(self):
        d = self.start(deliver=False)
        ids = self.accept(d, 50)
        self.kill(d)
        d = self.start(deliver=True)
        got = self.delivered_ids(ids)
        self.assertEqual(sorted(got), sorted(ids))
        # Every repeated key after the restart is answered with its first id, not
        # sent again (round 2, 15: a key forgotten across the crash must fail here).
        for i, first in enumerate(ids):
            status, _, body = d.post({"body": f"m {i}", "idempotency_key": f"m-{i}"})
            self.assertEqual((status, body["id"], body["duplicate"]), (200, first, True), i)
        time.sleep(0.3)
        self.assertEqual(sorted(self.delivered_ids([])), sorted(ids), "a repeated key was sent again")
        self.kill(d)
        d = self.start(deliver=True)
        status, _, body = d.post({"body": "m 7", "idempotency_key": "m-7"})
        self.assertEqual((status, body["id"], body["duplicate"]), (200, ids[7], True))
        d.stop()
        d = self.start(deliver=True)
        time.sleep(0.3)
        self.assertEqual(len(self.delivered_ids([])), 50, "a delivered message was sent again")

    def test_what_sigterm_leaves_undelivered_stays_on_disk(self):
        d = self.start(deliver=False)
        ids = self.accept(d, 3)
        self.assertEqual(d.stop(signal.SIGTERM), 0)  # the grace period runs out on hung deliveries
        d = self.start(deliver=True)
        self.assertEqual(sorted(self.delivered_ids(ids)), sorted(ids))

    def test_sighup_keeps_the_spool(self):
        d = self.start(deliver=False)
        ids = self.accept(d, 2, "before")
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "config reloaded" not in d.logs() and time.time() < deadline:
            time.sleep(0.02)
        self.assertIn("config reloaded", d.logs())
        ids += self.accept(d, 2, "after")
        self.kill(d)
        d = self.start(deliver=True)
        self.assertEqual(sorted(self.delivered_ids(ids)), sorted(ids))

    def test_a_torn_last_record_is_cut_and_every_complete_one_delivered(self):
        d = self.start(deliver=False)
        ids = self.accept(d, 5)
        self.kill(d)
        segment = self.segments()[-1]
        ends = record_ends(segment)
        with open(segment, "rb") as f:
            full = f.read()
        saved = os.path.join(self.tmp, "saved")
        shutil.copytree(self.spool, saved)
        # Every byte offset inside the last two records: each is a daemon start.
        for cut in range(ends[-3], len(full)):
            shutil.rmtree(self.spool)
            shutil.copytree(saved, self.spool)
            with open(segment, "r+b") as f:
                f.truncate(cut)
            complete = sum(1 for e in ends if e <= cut)
            if os.path.exists(self.delivered):
                os.remove(self.delivered)
            d = self.start(deliver=True)
            want = ids[:complete]
            got = self.delivered_ids(want, limit=5)
            self.assertEqual(sorted(set(got)), sorted(want), f"cut at {cut}")
            self.kill(d)

    def test_a_corrupt_segment_is_quarantined_and_everything_else_still_delivered(self):
        d = self.start(deliver=False)
        first = self.accept(d, 20, "first")
        self.kill(d)
        d = self.start(deliver=False)  # a second segment
        later = self.accept(d, 5, "later")
        self.kill(d)
        oldest = self.segments()[0]
        ends = record_ends(oldest)
        with open(oldest, "r+b") as f:
            f.seek(ends[9] + 12)  # inside the 11th message record
            f.write(b"\xff\xfe\xfd")
        started = time.time()
        d = self.start(deliver=True)
        while d.request("GET", "/readyz")[0] != 200:
            time.sleep(0.01)
        self.assertLess(time.time() - started, 2.0)
        self.assertIn("is corrupt at byte", d.logs())
        self.assertTrue(os.path.exists(os.path.join(self.spool, "quarantine", os.path.basename(oldest))))
        # Only the damaged record is lost: those after it in the segment are read on.
        want = first[:10] + first[11:] + later
        got = self.delivered_ids(want)
        self.assertTrue(set(want) <= set(got), got)
        self.assertNotIn(first[10], got)

    def test_a_full_spool_answers_503_and_loses_nothing(self):
        d = self.start(deliver=False, spool_extra="  max_bytes: 8192\n")
        accepted = []
        for i in range(1000):
            status, headers, body = d.post({"body": "x" * 100, "idempotency_key": f"k{i}"})
            if status == 503:
                self.assertEqual(body["error"], "spool_full")
                self.assertIn("Retry-After", headers)
                break
            self.assertEqual(status, 202)
            accepted.append(body["id"])
        else:
            self.fail("the spool never filled up")
        self.assertGreater(len(accepted), 10)
        status, _, data = d.request("GET", "/metrics")
        text = data.decode()
        samples = strict_parse_prometheus(text)
        self.assertEqual(samples[("notibus_spool_max_bytes", ())], 8192)
        self.assertEqual(samples[("notibus_spool_unfinished_messages", ())], len(accepted))
        self.assertLessEqual(samples[("notibus_spool_bytes", ())], 8192)
        self.assertGreaterEqual(samples[("notibus_messages_refused_total", ())], 1)
        promtool = shutil.which("promtool")
        if promtool:
            p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.kill(d)
        d = self.start(deliver=True, spool_extra="  max_bytes: 8192\n")
        got = self.delivered_ids(accepted)
        self.assertTrue(set(accepted) <= set(got))

    def start_failing(self, n):
        """A daemon whose `pending` channel always fails, and n messages that became dead letters."""
        d = self.start(deliver=False, channel="  pending: {type: fault, mode: permanent}\n")
        ids = self.accept(d, n, "dead")
        deadline = time.time() + 10
        while len(json.loads(d.request("GET", "/v1/dead-letters")[2])["dead_letters"]) < n:
            self.assertLess(time.time(), deadline, "the messages did not become dead letters")
            time.sleep(0.05)
        return d, ids

    def test_dead_letters_are_listed_retried_and_purged(self):
        d, ids = self.start_failing(2)
        listed = subprocess.run([BIN, "dead-letters", "list", "-c", d.config], capture_output=True, text=True, env=CLI_ENV)
        self.assertEqual(listed.returncode, 0)
        self.assertEqual(listed.stdout.count("pending"), 2)
        for i in ids:
            self.assertIn(i, listed.stdout)
        # A page at a time; where the next starts goes to stderr.
        page = subprocess.run([BIN, "dead-letters", "list", "-c", d.config, "--limit", "1"],
                              capture_output=True, text=True, env=CLI_ENV)
        self.assertEqual(page.stdout.count("pending"), 1)
        self.assertIn(f"more dead letters follow: add --after {sorted(ids)[0]}", page.stderr)
        rest = subprocess.run([BIN, "dead-letters", "list", "-c", d.config, "--after", sorted(ids)[0]],
                              capture_output=True, text=True, env=CLI_ENV)
        self.assertIn(sorted(ids)[1], rest.stdout)
        self.assertNotIn(sorted(ids)[0], rest.stdout)
        busy = subprocess.run([BIN, "dead-letters", "retry", "-c", d.config, ids[0]], capture_output=True, text=True, env=CLI_ENV)
        self.assertEqual(busy.returncode, 1)
        self.assertIn(f"in use by another notibus process (pid {d.proc.pid})", busy.stderr)
        self.assertIn("POST /v1/dead-letters/ID/retry", busy.stderr)
        d.stop()
        retry = subprocess.run([BIN, "dead-letters", "retry", "-c", d.config, ids[0]], capture_output=True, text=True, env=CLI_ENV)
        self.assertEqual(retry.returncode, 0, retry.stderr)
        purge = subprocess.run([BIN, "dead-letters", "purge", "-c", d.config, "--all"], capture_output=True, text=True, env=CLI_ENV)
        self.assertEqual(purge.returncode, 0, purge.stderr)
        self.assertIn(f"{ids[1]}: purged", purge.stdout)
        missing = subprocess.run([BIN, "dead-letters", "purge", "-c", d.config, "nope"], capture_output=True, text=True, env=CLI_ENV)
        self.assertEqual(missing.returncode, 1)
        empty = subprocess.run([BIN, "dead-letters", "list", "-c", d.config, "--json"], capture_output=True, text=True, env=CLI_ENV)
        self.assertEqual(empty.stdout.strip(), "[]")
        # The retried copy reaches the channel once it works.
        d = self.start(deliver=True)
        deadline = time.time() + 10
        while time.time() < deadline and not os.path.exists(self.delivered):
            time.sleep(0.05)
        time.sleep(0.2)
        with open(self.delivered) as f:
            lines = [l for l in f if l.strip()]
        self.assertEqual(len(lines), 1)
        self.assertIn("dead 0", lines[0])

    def test_dead_letters_over_the_api_while_running(self):
        d, ids = self.start_failing(2)
        status, _, data = d.request("GET", "/v1/dead-letters")
        listed = json.loads(data)["dead_letters"]
        self.assertEqual(status, 200)
        self.assertEqual(sorted(x["id"] for x in listed), sorted(ids))
        self.assertEqual(listed[0]["failed"][0]["channel"], "pending")
        self.assertIn("permanent", listed[0]["failed"][0]["reason"])
        # A page at a time (round 2, 12), oldest first, next_after while more follow.
        first = json.loads(d.request("GET", "/v1/dead-letters?limit=1")[2])
        self.assertEqual([x["id"] for x in first["dead_letters"]], [sorted(ids)[0]])
        second = json.loads(d.request("GET", f"/v1/dead-letters?limit=1&after={first['next_after']}")[2])
        self.assertEqual([x["id"] for x in second["dead_letters"]], [sorted(ids)[1]])
        self.assertNotIn("next_after", second)
        for bad in ("?limit=0", "?limit=1001", "?page=2"):
            self.assertEqual(d.request("GET", "/v1/dead-letters" + bad)[0], 400, bad)
        # Fix the channel by reloading, then retry one and purge the other.
        d.write_config(DELIVER % self.delivered, ROUTES, f"spool:\n  dir: {self.spool}\n")
        d.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "config reloaded" not in d.logs() and time.time() < deadline:
            time.sleep(0.02)
        status, _, data = d.request("POST", f"/v1/dead-letters/{ids[0]}/retry")
        self.assertEqual(status, 202, data)
        copy = json.loads(data)
        self.assertEqual(copy["retry_of"], ids[0])
        self.assertEqual(self.delivered_ids([copy["id"]]), [copy["id"]])
        self.assertEqual(d.request("DELETE", f"/v1/dead-letters/{ids[1]}")[0], 204)
        self.assertEqual(d.request("DELETE", f"/v1/dead-letters/{ids[1]}")[0], 404)
        self.assertEqual(d.request("POST", "/v1/dead-letters/nope/retry")[0], 404)
        status, headers, _ = d.request("GET", f"/v1/dead-letters/{ids[0]}/retry")
        self.assertEqual((status, headers["Allow"]), (405, "POST"))
        self.assertEqual(d.request("GET", "/v1/dead-letters", token=None)[0], 401)
        self.assertEqual(json.loads(d.request("GET", "/v1/dead-letters")[2])["dead_letters"], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
