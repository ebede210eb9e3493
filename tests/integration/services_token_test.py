#!/usr/bin/python3
"""Token exchange in the definition format (`token:`): the office365, fcm and
bluesky definitions against stand-ins on 127.0.0.1 that play both the token
endpoint and the service. Checked: one token fetch serves many messages
until it expires (counted by the stand-in), a refused token (401, or
Bluesky's ExpiredToken) is fetched again and the request sent once more,
a second refusal fails the delivery, a failed token request fails it with
the token endpoint's reason, and no token or secret reaches a report or a
log. FCM's JWT assertion is verified independently: its RS256 signature
with Python's `cryptography` against a key made by `openssl` at test time,
its claims as Google documents them.

Needs NOTIBUS_BIN, NOTIBUS_BUILD_DIR and NOTIBUS_TEST_MODULES in the environment.
"""
import base64
import json
import os
import subprocess
import threading
import time
import unittest
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from attachments_test import SinkCase
from service_uploads_test import StandIn, channel_report

CLIENT_SECRET = "client-secret-0123456789"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"


def form(body):
    return dict(urllib.parse.parse_qsl(body.decode()))


def b64url(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class Service:
    """A token endpoint (`token_path`) handing out tok-1, tok-2...; every
    other request is judged by `judge(path, token, body)`."""

    def __init__(self, token_path, token_answer, judge):
        self.lock = threading.Lock()
        self.tokens = 0
        self.token_path, self.token_answer, self.judge = token_path, token_answer, judge
        self.stand_in = StandIn(self.answer)

    def answer(self, method, path):
        method, path, headers, body = self.stand_in.requests[-1]
        if path.startswith(self.token_path):
            with self.lock:
                self.tokens += 1
                return self.token_answer(f"tok-{self.tokens}", body)
        bearer = headers.get("Authorization", "").removeprefix("Bearer ")
        return self.judge(path, bearer, body)

    def calls(self):
        return [r for r in self.stand_in.requests if not r[1].startswith(self.token_path)]


class TokenServicesTest(SinkCase):

    def start(self, service, channel):
        self.addCleanup(service.stand_in.close)
        return self.daemon(f"  svc: {{{channel.format(url=service.stand_in.url)}}}\n",
                           "  - to: [svc]\n")

    def send(self, d, title="Disk full", body="on **db1**", **extra):
        status, _, reply = d.post({"title": title, "body": body, "format": "markdown", **extra})
        self.assertEqual(status, 202, reply)
        return channel_report(d, reply["id"])

    def assert_nothing_secret(self, d, *reports):
        shown = d.logs() + json.dumps(reports)
        for secret in ("tok-1", "tok-2", "tok-3", CLIENT_SECRET, APP_PASSWORD):
            self.assertNotIn(secret, shown)

    # Microsoft Graph: client credentials, expires_in, 401.
    def office365(self, judge, expires_in=3599, token_status=200):
        def token_answer(token, body):
            if token_status != 200:  # quoting what it was sent, as some servers do
                return token_status, {"error": "invalid_client", "error_description":
                                      f"AADSTS7000215: Invalid client secret {form(body)['client_secret']}"}
            return 200, {"token_type": "Bearer", "expires_in": expires_in, "access_token": token}
        service = Service("/tenant-1/oauth2/v2.0/token", token_answer, judge)
        d = self.start(service, f'type: office365, tenant: tenant-1, client_id: app-1, '
                                f'client_secret: "{CLIENT_SECRET}", from: alerts@example.com, '
                                'to: [ops@example.com, dba@example.com], '
                                'api_url: "{url}", login_url: "{url}"')
        return service, d

    def test_office365_one_token_serves_every_mail_until_it_expires(self):
        service, d = self.office365(lambda path, token, body: (202, ""), expires_in=2)
        reports = [self.send(d, title=f"m{i}") for i in range(3)]
        self.assertEqual([r["state"] for r in reports], ["delivered"] * 3)
        self.assertEqual(service.tokens, 1)
        (_, path, _, body), = [r for r in service.stand_in.requests if "token" in r[1]]
        self.assertEqual(form(body), {"grant_type": "client_credentials", "client_id": "app-1",
                                      "client_secret": CLIENT_SECRET,
                                      "scope": "https://graph.microsoft.com/.default"})
        mails = service.calls()
        self.assertEqual(len(mails), 6)  # two recipients each
        method, path, headers, body = mails[0]
        self.assertEqual((method, path), ("POST", "/v1.0/users/alerts@example.com/sendMail"))
        self.assertEqual(headers["Authorization"], "Bearer tok-1")
        mail = json.loads(body)
        self.assertEqual(mail["saveToSentItems"], False)
        self.assertEqual(mail["message"]["subject"], "m0")
        self.assertEqual(mail["message"]["body"]["contentType"], "HTML")
        self.assertIn("<strong>db1</strong>", mail["message"]["body"]["content"])
        self.assertEqual(sorted(json.loads(m[3])["message"]["toRecipients"][0]["emailAddress"]["address"]
                                for m in mails[:2]), ["dba@example.com", "ops@example.com"])
        time.sleep(2.2)  # past the token's life (2 s, renewed a tenth early)
        self.assertEqual(self.send(d)["state"], "delivered")
        self.assertEqual(service.tokens, 2)
        self.assertEqual(service.calls()[-1][2]["Authorization"], "Bearer tok-2")
        self.assert_nothing_secret(d, reports)

    def test_office365_a_refused_token_is_fetched_again_once(self):
        service, d = self.office365(
            lambda path, token, body: (202, "") if token == "tok-2" else
            (401, {"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}))
        report = self.send(d)
        self.assertEqual(report["state"], "delivered", report)
        self.assertEqual(service.tokens, 2)  # both recipients' 401s share one new token
        self.assertEqual(sorted(r[2]["Authorization"] for r in service.calls()),
                         ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2", "Bearer tok-2"])
        self.assert_nothing_secret(d, report)

    def test_office365_a_second_refusal_fails_the_delivery(self):
        service, d = self.office365(lambda path, token, body: (
            401, {"error": {"code": "InvalidAuthenticationToken", "message": f"bad {token}"}}))
        report = self.send(d)
        self.assertEqual(report["state"], "failed", report)
        self.assertIn("InvalidAuthenticationToken", report["last_error"])
        self.assertEqual(len(service.calls()), 4)  # each recipient: once, then once more
        self.assertLessEqual(service.tokens, 3)
        self.assert_nothing_secret(d, report)

    def test_office365_a_failed_token_request_says_why(self):
        service, d = self.office365(lambda path, token, body: (202, ""), token_status=401)
        report = self.send(d)
        self.assertEqual(report["state"], "failed", report)
        self.assertIn("the token request failed: HTTP 401", report["last_error"])
        self.assertIn("AADSTS7000215", report["last_error"])
        self.assertEqual(service.calls(), [])
        self.assert_nothing_secret(d, report)

    # FCM: a service account's JWT assertion, traded for a token.
    def make_key(self):
        key = os.path.join(self.tmp, "sa.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", key], check=True, capture_output=True)
        with open(key, "rb") as f:
            return f.read()

    def test_fcm_signs_a_jwt_assertion_google_would_accept(self):
        pem = self.make_key()
        service = Service("/token", lambda token, body: (200, {
            "access_token": token, "expires_in": 3599, "token_type": "Bearer"}),
            lambda path, token, body: (200, {"name": "projects/p-1/messages/0:1"}) if token == "tok-1"
            else (401, {"error": {"status": "UNAUTHENTICATED", "message": "no"}}))
        # The key as a service account's JSON file writes it: \n for line breaks.
        escaped = pem.decode().replace("\n", "\\n")
        d = self.start(service, 'type: fcm, project: p-1, client_email: sa@p-1.iam.gserviceaccount.com, '
                                f'private_key: "{escaped}", targets: [dev-a], '
                                'token_url: "{url}/token", api_url: "{url}"')
        before = int(time.time())
        report = self.send(d, priority="high")
        self.assertEqual(report["state"], "delivered", report)
        (_, _, headers, body), = [r for r in service.stand_in.requests if r[1] == "/token"]
        fields = form(body)
        self.assertEqual(fields["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer")
        head, claims, signature = fields["assertion"].split(".")
        self.assertEqual(json.loads(b64url(head)), {"alg": "RS256", "typ": "JWT"})
        public = serialization.load_pem_private_key(pem, password=None).public_key()
        public.verify(b64url(signature), f"{head}.{claims}".encode(), padding.PKCS1v15(),
                      hashes.SHA256())  # raises when the signature is wrong
        claims = json.loads(b64url(claims))
        self.assertEqual((claims["iss"], claims["aud"], claims["scope"]),
                         ("sa@p-1.iam.gserviceaccount.com", service.stand_in.url + "/token",
                          "https://www.googleapis.com/auth/firebase.messaging"))
        self.assertLessEqual(abs(claims["iat"] - before), 5)
        self.assertEqual(claims["exp"] - claims["iat"], 3600)
        (method, path, headers, body), = service.calls()
        self.assertEqual((method, path), ("POST", "/v1/projects/p-1/messages:send"))
        self.assertEqual(headers["Authorization"], "Bearer tok-1")
        self.assertEqual(json.loads(body), {"message": {
            "token": "dev-a", "notification": {"title": "Disk full", "body": "on db1"},
            "android": {"priority": "high"}}})
        self.assertNotIn("PRIVATE KEY", d.logs() + json.dumps(report))

    def test_fcm_sends_a_topic_as_topic_and_a_device_as_token(self):
        service = Service("/token", lambda token, body: (200, {"access_token": token, "expires_in": 3599}),
                          lambda path, token, body: (200, {"name": "projects/p-1/messages/0:2"}))
        escaped = self.make_key().decode().replace("\n", "\\n")
        d = self.start(service, 'type: fcm, project: p-1, client_email: sa@p-1.iam.gserviceaccount.com, '
                                f'private_key: "{escaped}", targets: [dev-a, "#news"], '
                                'token_url: "{url}/token", api_url: "{url}"')
        report = self.send(d, body="on db1")
        self.assertEqual(report["state"], "delivered", report)
        targets = sorted(json.dumps({k: v for k, v in json.loads(body)["message"].items()
                                     if k in ("token", "topic", "condition")})
                         for _, _, _, body in service.calls())
        self.assertEqual(targets, ['{"token": "dev-a"}', '{"topic": "news"}'])  # never both

    def test_fcm_refuses_a_target_that_is_only_a_prefix(self):
        config = os.path.join(self.tmp, "fcm-target.yaml")
        with open(config, "w") as f:
            f.write('version: 1\nchannels:\n  push: {type: fcm, project: p-1, client_email: sa@x, '
                    f'private_key: "{self.make_key().decode().replace(chr(10), chr(92) + "n")}", '
                    'targets: [dev-a, "#"]}\nroutes:\n  - to: [push]\n')
        out = subprocess.run([os.environ["NOTIBUS_BIN"], "check", "-c", config],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 2, out)
        self.assertIn('channels.push.targets: "#" is no recipient fcm sends to (topic (#NAME), device)',
                      out.stdout + out.stderr)

    def test_fcm_refuses_a_key_that_is_no_rsa_key_when_the_config_is_read(self):
        config = os.path.join(self.tmp, "fcm.yaml")
        with open(config, "w") as f:
            f.write('version: 1\nchannels:\n  push: {type: fcm, project: p-1, client_email: sa@x, '
                    'private_key: "-----BEGIN PRIVATE KEY-----\\nsecret-bits\\n", targets: [d]}\n'
                    'routes:\n  - to: [push]\n')
        out = subprocess.run([os.environ["NOTIBUS_BIN"], "check", "-c", config],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 2, out)
        self.assertIn(f"{config}:3:68: channels.push.private_key: the private key is not a PEM "
                      "private key", out.stdout + out.stderr)
        self.assertNotIn("secret-bits", out.stdout + out.stderr)

    # Bluesky: a session login; an ExpiredToken 400 makes a new session.
    def test_bluesky_logs_in_once_and_renews_an_expired_session(self):
        def session(token, body):
            login = json.loads(body)
            if login != {"identifier": "ops.example.com", "password": APP_PASSWORD}:
                return 401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
            return 200, {"accessJwt": token, "refreshJwt": "r-" + token, "handle": "ops.example.com",
                         "did": "did:plc:abc123"}
        expired = {"tok-1": 1}  # tok-1 works for one post, then has expired

        def posts(path, token, body):
            if expired.get(token, 1) > 0:
                expired[token] = expired.get(token, 1) - 1
                return 200, {"uri": "at://did:plc:abc123/app.bsky.feed.post/1", "cid": "c"}
            return 400, {"error": "ExpiredToken", "message": "Token has expired"}
        service = Service("/xrpc/com.atproto.server.createSession", session, posts)
        d = self.start(service, f'type: bluesky, handle: ops.example.com, '
                                f'app_password: "{APP_PASSWORD}", api_url: "{{url}}"')
        first = self.send(d, title="", body="x" * 400)
        second = self.send(d)
        self.assertEqual((first["state"], second["state"]), ("delivered", "delivered"))
        self.assertEqual(service.tokens, 2)
        calls = service.calls()
        self.assertEqual([c[2]["Authorization"] for c in calls],
                         ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"])
        method, path, _, body = calls[0]
        self.assertEqual((method, path), ("POST", "/xrpc/com.atproto.repo.createRecord"))
        post = json.loads(body)
        self.assertEqual((post["repo"], post["collection"]), ("did:plc:abc123", "app.bsky.feed.post"))
        self.assertEqual(post["record"]["$type"], "app.bsky.feed.post")
        self.assertEqual(len(post["record"]["text"]), 300)
        self.assertRegex(post["record"]["createdAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
        self.assertEqual(json.loads(calls[2][3])["record"]["text"], "Disk full\non db1")
        self.assert_nothing_secret(d, first, second)


if __name__ == "__main__":
    unittest.main()
