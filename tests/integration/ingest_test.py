#!/usr/bin/python3
"""Ingestion dialects end to end, with examples/ingest.yaml as a newcomer
copies it: the real clients of each dialect, unchanged, against `notibus
serve` (Debian's `apprise` CLI, npm `ntfy`, `gotify` and `@slack/webhook`, a
real `prometheus-alertmanager` fed by `amtool`), Grafana's and Discord's
documented bodies, Alertmanager's retries, and each dialect's refusals.

Run with /usr/bin/python3. Needs NOTIBUS_BIN, NOTIBUS_BUILD_DIR and NOTIBUS_SOURCE_DIR.
"""
import base64
import json
import os
import subprocess
import unittest

from ingest_lib import FIXTURES, HERE, IngestServer, npm_peers


class RealClientsTest(IngestServer):
    def node_client(self, name):
        peers = npm_peers()
        script = os.path.join(HERE, "node", "ingest_clients.mjs")
        shutil_copy = os.path.join(peers, "ingest_clients.mjs")
        with open(script, encoding="utf-8") as src, open(shutil_copy, "w", encoding="utf-8") as dst:
            dst.write(src.read())  # run inside the peers' folder so its imports resolve
        r = subprocess.run(["node", shutil_copy, name, f"http://127.0.0.1:{self.port}", self.token],
                           capture_output=True, text=True, timeout=60, cwd=peers)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_apprise_cli(self):
        url = f"apprise://notibus:{self.token}@127.0.0.1:{self.port}/notibus"
        r = subprocess.run(["apprise", "-t", "Nightly backup", "-b", "Backup of db1 failed",
                            "-n", "failure", url], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        [m] = self.delivered(lambda m: m["title"] == "Nightly backup")
        self.assertEqual(self.source(m), "apprise")
        self.assertEqual(m["topic"], "apprise")
        self.assertEqual(m["body"], "Backup of db1 failed")
        self.assertEqual(m["priority"], "urgent")
        self.assertIn("failure", m["tags"])
        wrong = url.replace(self.token, "not-the-token")
        r = subprocess.run(["apprise", "-b", "x", wrong], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)

    def test_ntfy_client(self):
        answer = self.node_client("ntfy")
        self.assertEqual(answer["event"], "message")
        self.assertEqual(answer["topic"], "disk-alerts")
        [m] = self.delivered(lambda m: m["id"] == answer["id"])
        self.assertEqual((m["topic"], m["title"], m["priority"]), ("disk-alerts", "Disk almost full", "high"))
        self.assertEqual(m["format"], "markdown")
        self.assertEqual(m["tags"], ["warning", "db"])

    def curl(self, *args):
        r = subprocess.run(["curl", "-sS", "--fail-with-body", *args], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)

    def test_ntfy_with_curl_as_its_docs_show(self):
        base = f"http://127.0.0.1:{self.port}"
        bearer = f"Authorization: Bearer {self.token}"
        a = self.curl("-H", bearer, "-H", "Title: Unauthorized access detected", "-H", "Priority: urgent",
                      "-H", "Tags: warning,skull", "-d", "Remote access to phils-laptop detected. Act right away.",
                      f"{base}/phil_alerts")
        b = self.curl("-u", f":{self.token}", "-d", "Backup successful 😀", f"{base}/mytopic")
        c = self.curl("-H", bearer, base, "-d", json.dumps({
            "topic": "mytopic", "message": "Disk space is low at 5.1 GB", "title": "Low disk space alert",
            "tags": ["warning", "cd"], "priority": 4}))
        [m] = self.delivered(lambda m: m["id"] == a["id"])
        self.assertEqual((m["priority"], m["tags"]), ("urgent", ["warning", "skull"]))
        [m] = self.delivered(lambda m: m["id"] == b["id"])
        self.assertEqual(m["body"], "Backup successful 😀")
        [m] = self.delivered(lambda m: m["id"] == c["id"])
        self.assertEqual((m["topic"], m["title"], m["priority"]), ("mytopic", "Low disk space alert", "high"))

    def test_gotify_client(self):
        answer = self.node_client("gotify")
        self.assertEqual(answer["priority"], 8)
        notibus_id = answer["extras"]["notibus::message"]["id"]
        [m] = self.delivered(lambda m: m["id"] == notibus_id)
        self.assertEqual((self.source(m), m["title"], m["format"]), ("gotify", "Backup done", "markdown"))

    def test_slack_client(self):
        self.assertEqual(self.node_client("slack"), {"text": "ok"})
        [m] = self.delivered(lambda m: m["title"] == "Deploy finished")
        self.assertEqual(self.source(m), "slack")
        self.assertEqual(m["body"], "**api** v2.3 is live: [release notes](<https://example.org/r>)")


class DocumentedBodiesTest(IngestServer):
    def fixture(self, name):
        with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
            return json.load(f)

    def test_grafana(self):
        auth = {"Authorization": "Bearer " + self.token}
        status, body, _ = self.post_json("/hooks/grafana", self.fixture("grafana_webhook.json"), auth)
        self.assertEqual(status, 200, body)
        [m] = self.delivered(lambda m: m["id"] in json.loads(body)["ids"])
        self.assertEqual(m["title"], "[FIRING:2]  (blue)")
        self.assertTrue(m["body"].startswith("**Firing**"))
        self.assertEqual(m["attributes"]["grafana.state"], "alerting")
        self.assertEqual(m["priority"], "high")
        status, _, _ = self.post_json("/hooks/grafana", self.fixture("grafana_webhook.json"))
        self.assertEqual(status, 401)

    def test_discord(self):
        path = f"/api/webhooks/1/{self.token}"
        status, body, _ = self.post_json(path + "?wait=true", self.fixture("discord_execute_webhook.json"))
        self.assertEqual(status, 200, body)
        answer = json.loads(body)
        self.assertEqual(answer["content"].split("\n")[0], "Deploy of **api** finished")
        [m] = self.delivered(lambda m: m["id"] == answer["notibus_id"])
        self.assertEqual(m["format"], "markdown")
        self.assertIn("**Duration**: 4m 12s", m["body"])
        self.assertIn("https://example.org/releases/v2.3", m["body"])
        # multipart with payload_json, as discord.js sends it; 204 without wait
        boundary = "b0undary"
        part = json.dumps({"content": "from multipart"})
        data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n"
                f"Content-Type: application/json\r\n\r\n{part}\r\n--{boundary}--\r\n").encode()
        status, _, _ = self.request("POST", path, data, {
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        self.assertEqual(status, 204)
        self.delivered(lambda m: m["body"] == "from multipart")


class ForeignRequestsTest(IngestServer):
    def test_ntfy_forms(self):
        bearer = {"Authorization": "Bearer " + self.token}
        # a header value in RFC 2047, a priority name, tags
        status, body, _ = self.request("PUT", "/backups", b"Backup done", {
            **bearer, "Title": "=?UTF-8?B?QmFja3VwIOKchQ==?=", "Priority": "max", "X-Tags": "a, b"})
        self.assertEqual(status, 200, body)
        [m] = self.delivered(lambda m: m["id"] == json.loads(body)["id"])
        self.assertEqual((m["title"], m["priority"], m["tags"]), ("Backup ✅", "urgent", ["a", "b"]))
        auth = base64.b64encode(("Bearer " + self.token).encode()).decode().rstrip("=")
        status, body, _ = self.get(f"/backups/publish?message=via+get&t=T&auth={auth}")
        self.assertEqual(status, 200, body)
        self.delivered(lambda m: m["body"] == "via get" and m["title"] == "T")
        status, body, _ = self.post_json("/", {"topic": "jsontopic", "message": "json publish",
                                               "priority": 2, "tags": ["x"]}, bearer)
        self.assertEqual(status, 200, body)
        self.delivered(lambda m: m["topic"] == "jsontopic" and m["priority"] == "low")

    def test_gotify_forms(self):
        status, body, _ = self.request("POST", f"/message?token={self.token}",
                                       b"title=Form&message=from+a+form&priority=2",
                                       {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200, body)
        self.delivered(lambda m: m["body"] == "from a form" and m["priority"] == "low")

    def test_refusals_in_each_dialects_shape(self):
        before = len(self.messages())
        t = self.token
        cases = [  # path, headers, body, status, check of the answer
            ("/notify/notibus", {"Authorization": "Basic " + base64.b64encode(f"u:{t}".encode()).decode(),
                                 "Content-Type": "application/json"}, b"{", 400, lambda a: "error" in json.loads(a)),
            ("/notify/notibus", {}, b"body=x", 401, lambda a: "error" in json.loads(a)),
            ("/alerts", {"Authorization": "Bearer " + t, "X-Priority": "9"}, b"x", 400,
             lambda a: json.loads(a)["code"] == 40007),
            ("/alerts", {"Authorization": "Bearer wrong"}, b"x", 401, lambda a: json.loads(a)["http"] == 401),
            ("/message", {"X-Gotify-Key": t, "Content-Type": "application/json"}, b'{"title":"no message"}', 400,
             lambda a: json.loads(a)["errorCode"] == 400 and json.loads(a)["error"] == "Bad Request"),
            ("/message", {"X-Gotify-Key": "wrong", "Content-Type": "application/json"}, b'{"message":"m"}', 401,
             lambda a: json.loads(a)["errorCode"] == 401),
            ("/hooks/alertmanager", {"Authorization": "Bearer " + t, "Content-Type": "application/json"},
             b'{"status":"firing"}', 400, lambda a: json.loads(a)["status"] == "error"),
            ("/hooks/grafana", {"Authorization": "Bearer " + t, "Content-Type": "application/json"}, b"[1]",
             400, lambda a: json.loads(a)["status"] == "error"),
            (f"/hooks/slack/{t}", {"Content-Type": "application/json"}, b'{"username":"x"}', 400,
             lambda a: a == "no_text"),
            (f"/hooks/slack/{t}", {"Content-Type": "application/json"}, b"not json", 400,
             lambda a: a == "invalid_payload"),
            ("/hooks/slack/wrong", {"Content-Type": "application/json"}, b'{"text":"x"}', 403,
             lambda a: a == "invalid_token"),
            (f"/api/webhooks/1/{t}", {"Content-Type": "application/json"}, b"{}", 400,
             lambda a: json.loads(a)["code"] == 50006),
            ("/api/webhooks/1/wrong", {"Content-Type": "application/json"}, b'{"content":"x"}', 401,
             lambda a: json.loads(a)["code"] == 50027),
        ]
        for path, headers, body, status, check in cases:
            with self.subTest(path=path, body=body):
                got, answer, _ = self.request("POST", path, body, headers)
                self.assertEqual(got, status, answer)
                self.assertTrue(check(answer), answer)
        self.assertEqual(len(self.messages()), before, "a refused request was delivered")
        log = self.server_log()
        self.assertIn("unauthorized request", log)
        self.assertNotIn("/hooks/slack/wrong", log)  # a guess at a path secret is not logged

    def test_metrics_count_each_dialect(self):
        self.request("POST", "/hooks/slack/wrong", b"{}", {"Content-Type": "application/json"})
        status, text, _ = self.get("/metrics", {"Authorization": "Bearer " + self.token})
        self.assertEqual(status, 200)
        self.assertIn('notibus_ingest_requests_total{dialect="slack",outcome="unauthorized"}', text)


class LimitsTest(IngestServer):
    config = """version: 1
server: {listen: "${NOTIBUS_LISTEN}", max_body: 4096}
ingest:
  token: ${NOTIBUS_INGEST_TOKEN}
  gotify: {enabled: true, max_body: 200, rate_limit: {per_second: 3}}
  ntfy: {enabled: true, path: /ntfy/, topic: phone, tags: [from-ntfy]}
channels:
  out: {type: file, path: "${NOTIBUS_INGEST_OUT}"}
routes:
  - match: {source: [ntfy]}
    to: [out]
"""

    def test_size_and_rate_limits_answer_in_the_dialects_shape(self):
        h = {"X-Gotify-Key": self.token, "Content-Type": "application/json"}
        status, body, _ = self.request("POST", "/message", json.dumps({"message": "x" * 300}).encode(), h)
        self.assertEqual(status, 413, body)
        self.assertEqual(json.loads(body)["errorCode"], 413)
        answers = [self.request("POST", "/message", b'{"message":"m"}', h) for _ in range(12)]
        limited = [a for a in answers if a[0] == 429]
        self.assertTrue(limited, [a[0] for a in answers])
        self.assertEqual(limited[0][2].get("Retry-After"), "1")
        self.assertEqual(json.loads(limited[0][1])["errorCode"], 429)

    def test_a_path_topic_tags_and_routes_by_source(self):
        bearer = {"Authorization": "Bearer " + self.token}
        status, body, _ = self.request("POST", "/ntfy/anything", b"hello", bearer)
        self.assertEqual(status, 200, body)
        [m] = self.delivered(lambda m: m["id"] == json.loads(body)["id"])
        self.assertEqual((m["topic"], m["tags"]), ("phone", ["from-ntfy"]))
        self.assertEqual(json.loads(body)["topic"], "anything")
        # gotify's messages match no route: the refusal is Gotify-shaped
        status, body, _ = self.request("POST", "/message", b'{"message":"m"}',
                                       {"X-Gotify-Key": self.token, "Content-Type": "application/json"})
        self.assertIn(status, (422, 429), body)
        self.assertIn("errorCode", json.loads(body))


class OwnListenerTest(IngestServer):
    config = """version: 1
server: {listen: "${NOTIBUS_LISTEN}"}
ingest:
  token: ${NOTIBUS_INGEST_TOKEN}
  gotify: {enabled: true, listen: "${NOTIBUS_DIALECT_LISTEN}"}
  ntfy: {enabled: true}
channels:
  out: {type: file, path: "${NOTIBUS_INGEST_OUT}"}
routes:
  - to: [out]
"""

    def test_a_dialect_on_its_own_listener_is_only_there(self):
        h = {"X-Gotify-Key": self.token, "Content-Type": "application/json"}
        status, body, _ = self.request("POST", "/message", b'{"message":"own listener"}', h,
                                       port=self.own_port)
        self.assertEqual(status, 200, body)
        self.delivered(lambda m: m["body"] == "own listener")
        # on the main listener /message is an ntfy topic: ntfy answers, not Gotify
        status, body, _ = self.request("POST", "/message", b'{"message":"main"}', h)
        self.assertEqual(status, 401)
        self.assertIn("http", json.loads(body))
        status, _, _ = self.request("GET", "/v1/messages", port=self.own_port)
        self.assertEqual(status, 404)  # the API is not served there
        status, body, _ = self.request("POST", "/alerts", b"on main", {"Authorization": "Bearer " + self.token})
        self.assertEqual(status, 200, body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
