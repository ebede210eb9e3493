#!/usr/bin/python3
"""The email channel against real SMTP servers on 127.0.0.1 (Debian's aiosmtpd):
STARTTLS + AUTH, implicit TLS, and scripted failures. Every received message is
parsed with Python's `email` package and compared with what was sent.

Run with /usr/bin/python3 (Debian's modules). Needs NOTIBUS_BIN and
NOTIBUS_BUILD_DIR in the environment, and the openssl command.
"""
import email
import email.policy
import os
import socket
import ssl
import shutil
import subprocess
import tempfile
import threading
import unittest

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

BIN = os.environ["NOTIBUS_BIN"]
BUILD = os.environ["NOTIBUS_BUILD_DIR"]
USER, PASSWORD = "alerts@example.com", "pa55-w0rd-never-printed"


def text_of(part):
    """A decoded text part with the wire's CRLF line ends as Python writes them."""
    return part.get_content().replace("\r\n", "\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Pki:
    """A test CA and a server certificate for 127.0.0.1, plus a CA that signed nothing."""

    def __init__(self, directory):
        def run(*args):
            subprocess.run(args, check=True, capture_output=True)

        self.dir = directory
        for ca in ("ca", "other-ca"):
            run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                f"/CN={ca}", "-keyout", f"{directory}/{ca}.key", "-out", f"{directory}/{ca}.pem")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout",
            f"{directory}/server.key", "-out", f"{directory}/server.csr")
        with open(f"{directory}/server.ext", "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        run("openssl", "x509", "-req", "-in", f"{directory}/server.csr", "-CA", f"{directory}/ca.pem",
            "-CAkey", f"{directory}/ca.key", "-CAcreateserial", "-days", "2", "-extfile",
            f"{directory}/server.ext", "-out", f"{directory}/server.pem")
        self.ca = f"{directory}/ca.pem"
        self.other_ca = f"{directory}/other-ca.pem"

    def server_context(self):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(f"{self.dir}/server.pem", f"{self.dir}/server.key")
        return ctx


class Recorder:
    """aiosmtpd handler: stores messages, counts connections, plays scenarios."""

    def __init__(self, reject=(), fail_data_first=False, abort_data_first=False, data_reply=None):
        self.data_reply = data_reply
        self.messages, self.peers, self.auth_attempts = [], set(), 0
        self.reject, self.fail_data_first, self.abort_data_first = set(reject), fail_data_first, abort_data_first
        self.data_calls = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.peers.add(session.peer)
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_calls += 1
            first = self.data_calls == 1
        if first and self.fail_data_first:
            return "451 4.3.0 Try again later"
        if self.data_reply:
            return self.data_reply
        if first and self.abort_data_first:
            server.transport.abort()  # gone before the final reply: the client cannot know
            return "250 2.0.0 never seen"
        with self.lock:
            self.messages.append({"from": envelope.mail_from, "rcpt": list(envelope.rcpt_tos), "raw": envelope.content,
                                  "msg": email.message_from_bytes(envelope.content, policy=email.policy.default)})
        return "250 2.0.0 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        with self.lock:
            self.auth_attempts += 1
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER and \
            auth_data.password.decode() == PASSWORD
        return AuthResult(success=ok, handled=False)


class NoEhloSMTP(SMTP):
    """An old server: EHLO is not understood, HELO is."""

    async def smtp_EHLO(self, arg):
        await self.push("502 5.5.1 EHLO not implemented")


class NoEhloController(Controller):
    def factory(self):
        return NoEhloSMTP(self.handler, **self.SMTP_kwargs)


class Server:
    def __init__(self, pki, mode="starttls", **scenario):
        self.recorder = Recorder(**scenario)
        self.port = free_port()
        kwargs = dict(hostname="127.0.0.1", port=self.port, authenticator=self.recorder.authenticate)
        if mode == "starttls":
            kwargs.update(tls_context=pki.server_context(), require_starttls=True, auth_require_tls=True)
        elif mode == "implicit":
            kwargs.update(ssl_context=pki.server_context(), auth_require_tls=False)
        else:  # plaintext, no STARTTLS offered
            kwargs.update(auth_require_tls=False)
        controller = NoEhloController if mode == "helo_only" else Controller
        self.controller = controller(self.recorder, **kwargs)
        self.controller.start()

    def stop(self):
        self.controller.stop()


class EmailChannelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.pki = Pki(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def config(self, server, extra="", tls="starttls", ca=None):
        path = os.path.join(self.tmp.name, f"email-{server.port}.yaml")
        with open(path, "w") as f:
            f.write(f"""version: 1
plugin_dirs: [{BUILD}/plugins]
channels:
  mail:
    type: email
    host: 127.0.0.1
    port: {server.port}
    tls: {tls}
    ca_file: {ca or self.pki.ca}
    username: {USER}
    password: "${{SMTP_PASSWORD}}"
    from: "Alerts Ü <alerts@example.com>"
    to: ["Oncall <oncall@example.com>", "second@example.com"]
    cc: [cc@example.com]
    bcc: [hidden@example.com]
    reply_to: [noreply@example.com]
    subject: "{{{{title}}}}"
    timeout: 5s
    retry: {{max_attempts: 3, initial_backoff: 20ms}}
{extra}routes:
  - to: [mail]
""")
        return path

    def send(self, cfg, *args):
        env = dict(os.environ, SMTP_PASSWORD=PASSWORD)
        p = subprocess.run([BIN, "send", "-c", cfg, *args], capture_output=True, text=True, env=env, timeout=60)
        self.assertNotIn(PASSWORD, p.stdout + p.stderr)
        return p

    def serve(self, **kw):
        server = Server(self.pki, **kw)
        self.addCleanup(server.stop)
        return server

    def test_message_fields_survive_exactly(self):
        server = self.serve()
        subject = ("Ünïcødé alert 🔥🚀 " * 12)[:200]
        body = ".starts with a dot\n..two dots\nline with trailing space \n" + "x" * 5000 + "\nend ✓"
        p = self.send(self.config(server), "--title", subject, "--body", body)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(server.recorder.messages), 1)
        got = server.recorder.messages[0]
        msg = got["msg"]
        self.assertEqual(msg["Subject"], subject)
        self.assertEqual(text_of(msg.get_body(("plain",))), body + "\n")
        self.assertEqual(str(msg["From"]), "Alerts Ü <alerts@example.com>")
        self.assertEqual([a.addr_spec for a in msg["To"].addresses], ["oncall@example.com", "second@example.com"])
        self.assertEqual(str(msg["Cc"]), "cc@example.com")
        self.assertEqual(str(msg["Reply-To"]), "noreply@example.com")
        self.assertIsNone(msg["Bcc"])
        self.assertEqual(sorted(got["rcpt"]), sorted(["oncall@example.com", "second@example.com",
                                                      "cc@example.com", "hidden@example.com"]))
        self.assertEqual(got["from"], "alerts@example.com")
        self.assertRegex(msg["Message-ID"], r"^<[0-9A-Z]{26}@example\.com>$")
        self.assertEqual(msg["MIME-Version"], "1.0")
        self.assertIsNotNone(msg["Date"].datetime)
        # As received: CRLF line ends only, and no line near the 998-octet limit.
        raw = got["raw"]
        self.assertNotIn(b"\n", raw.replace(b"\r\n", b""))
        self.assertLessEqual(max(len(line) for line in raw.split(b"\r\n")), 78)

    def test_a_dot_that_quoted_printable_puts_at_a_line_start_is_stuffed(self):
        # Round 2, item 13: quoted-printable breaks lines at 76 characters, so
        # the dot after 75 others starts a wire line; a lone "." there would
        # end DATA early and the rest would be read as SMTP commands.
        server = self.serve()
        body = "x" * 75 + ".y\n" + "z" * 75 + ".\nend"
        p = self.send(self.config(server), "--title", "dots", "--body", body)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(server.recorder.messages), 1)
        got = server.recorder.messages[0]
        self.assertEqual(text_of(got["msg"].get_body(("plain",))), body + "\n")
        self.assertEqual(server.recorder.data_calls, 1)

    def test_html_body_makes_multipart_alternative(self):
        server = self.serve()
        p = self.send(self.config(server, '    html_body: "<p>{{body}}</p>"\n'), "--title", "t", "--body", "a < b")
        self.assertEqual(p.returncode, 0, p.stderr)
        msg = server.recorder.messages[0]["msg"]
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        # In a multipart, the last line break belongs to the boundary (RFC 2046).
        self.assertEqual(text_of(msg.get_body(("html",))), "<p>a &lt; b</p>")
        self.assertEqual(text_of(msg.get_body(("plain",))), "a < b")

    def test_attachments_make_multipart_mixed_with_rfc2231_names(self):
        server = self.serve()
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        files = {"rapport été.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 300, "plain \"q\".txt": b"a\nb\n"}
        args = []
        for name, data in files.items():
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
            args += ["--attach", os.path.join(tmp, name)]
        p = self.send(self.config(server, '    html_body: "<p>{{body}}</p>"\n'), "--title", "t", "--body", "see files",
                      *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = server.recorder.messages[0]
        msg = got["msg"]
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        self.assertEqual(text_of(msg.get_body(("plain",))), "see files")
        received = {a.get_filename(): (a.get_content_type(), a.get_payload(decode=True)) for a in msg.iter_attachments()}
        self.assertEqual(received, {"rapport été.pdf": ("application/pdf", files["rapport été.pdf"]),
                                    "plain \"q\".txt": ("text/plain", files["plain \"q\".txt"])})
        self.assertIn(b"filename*=utf-8''rapport%20%C3%A9t%C3%A9.pdf", got["raw"])
        long_name = "é" * 120 + ".txt"  # 240 bytes: RFC 2231 continuations
        with open(os.path.join(tmp, long_name), "wb") as f:
            f.write(b"x")
        p = self.send(self.config(server), "--body", "b", "--attach", os.path.join(tmp, long_name))
        self.assertEqual(p.returncode, 0, p.stderr)
        got = server.recorder.messages[1]
        self.assertEqual([a.get_filename() for a in got["msg"].iter_attachments()], [long_name])
        self.assertEqual([l for l in got["raw"].split(b"\r\n") if len(l) > 78], [])

    def test_an_image_the_html_shows_by_cid_goes_inline_in_multipart_related(self):
        server = self.serve()
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
        for name, data in (("chart.png", png), ("a.log", b"x\n"), ("other.png", png)):
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
        p = self.send(self.config(server), "--format", "markdown", "--body",
                      "CPU: ![the chart](cid:chart.png)", *sum((["--attach", os.path.join(tmp, n)]
                                                               for n in ("chart.png", "a.log", "other.png")), []))
        self.assertEqual(p.returncode, 0, p.stderr)
        msg = server.recorder.messages[0]["msg"]
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        related = next(msg.iter_parts())
        self.assertEqual(related.get_content_type(), "multipart/related")
        self.assertEqual(related.get_param("type"), "multipart/alternative")
        body, image = related.iter_parts()
        self.assertEqual(body.get_content_type(), "multipart/alternative")
        self.assertIn('<img src="cid:chart.png" alt="the chart">', text_of(msg.get_body(("html",))))
        self.assertEqual(text_of(msg.get_body(("plain",))), "CPU: the chart")
        self.assertEqual((image["Content-ID"], image.get_content_disposition(), image.get_payload(decode=True)),
                         ("<chart.png>", "inline", png))
        # Files the HTML does not show stay attachments.
        self.assertEqual([a.get_filename() for a in msg.iter_attachments()], ["a.log", "other.png"])

    def test_crlf_in_the_message_cannot_add_headers(self):
        server = self.serve()
        p = self.send(self.config(server), "--title", "Hi\r\nBcc: evil@example.com\r\nX-Evil: 1", "--body", "b")
        self.assertEqual(p.returncode, 0, p.stderr)
        got = server.recorder.messages[0]
        self.assertIsNone(got["msg"]["X-Evil"])
        self.assertIsNone(got["msg"]["Bcc"])
        self.assertNotIn("evil@example.com", got["rcpt"])
        self.assertIn("Bcc: evil@example.com", got["msg"]["Subject"])

    def test_crlf_in_the_config_is_a_config_error(self):
        server = self.serve()
        cfg = self.config(server)
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write(text.replace('to: ["Oncall', 'to: ["x@example.com\\r\\nBcc: evil@example.com", "Oncall'))
        p = subprocess.run([BIN, "check", "-c", cfg], capture_output=True, text=True,
                           env=dict(os.environ, SMTP_PASSWORD=PASSWORD))
        self.assertEqual(p.returncode, 2)
        self.assertIn("channels.mail.to: not an address", p.stderr)

    def test_auth_login(self):
        server = self.serve()
        p = self.send(self.config(server, "    auth: login\n"), "--title", "t", "--body", "by LOGIN")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(server.recorder.auth_attempts, 1)

    def test_helo_fallback_for_old_servers(self):
        server = self.serve(mode="helo_only")
        cfg = self.config(server, tls="none")
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:  # no credentials: an old server without extensions
            f.write(text.replace(f"    username: {USER}\n", "").replace('    password: "${SMTP_PASSWORD}"\n', ""))
        p = self.send(cfg, "--title", "t", "--body", "via HELO")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(text_of(server.recorder.messages[0]["msg"].get_body(("plain",))), "via HELO\n")

    def test_implicit_tls(self):
        server = self.serve(mode="implicit")
        p = self.send(self.config(server, tls="implicit"), "--title", "t", "--body", "over TLS from the first byte")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(text_of(server.recorder.messages[0]["msg"].get_body(("plain",))),
                         "over TLS from the first byte\n")

    def test_refuses_a_server_without_starttls(self):
        server = self.serve(mode="none")
        p = self.send(self.config(server), "--title", "t", "--body", "b")
        self.assertEqual(p.returncode, 1)
        self.assertIn("does not offer STARTTLS; refusing to continue in plaintext", p.stderr)
        self.assertEqual(server.recorder.messages, [])
        self.assertEqual(server.recorder.auth_attempts, 0)

    def test_never_sends_credentials_in_plaintext(self):
        server = self.serve(mode="none")
        p = self.send(self.config(server, tls="none"), "--title", "t", "--body", "b")
        self.assertEqual(p.returncode, 1)
        self.assertIn("refusing to send credentials over an unencrypted connection", p.stderr)
        self.assertEqual(server.recorder.auth_attempts, 0)

    def test_refuses_an_unknown_ca(self):
        server = self.serve()
        p = self.send(self.config(server, ca=self.pki.other_ca), "--title", "t", "--body", "b")
        self.assertEqual(p.returncode, 1)
        self.assertIn("certificate verify failed: unable to get local issuer certificate for 127.0.0.1", p.stderr)
        self.assertIn("(1 attempt)", p.stderr)

    def test_451_is_retried(self):
        server = self.serve(fail_data_first=True)
        p = self.send(self.config(server), "--title", "t", "--body", "b")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("mail: delivered (2 attempts)", p.stdout)
        self.assertEqual(len(server.recorder.messages), 1)

    def test_a_hostile_reply_cannot_forge_log_lines_or_drive_the_terminal(self):
        # A bare LF inside a reply line, an ANSI escape and a C1 CSI (issue 17).
        server = self.serve(data_reply="554 5.7.1 no\nerror: forged line \x1b[31mred\u009b2J")
        p = self.send(self.config(server), "--title", "t", "--body", "b")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertNotIn("\x1b", p.stderr)
        self.assertNotIn("\u009b", p.stderr)
        self.assertFalse(any(line.startswith("error: forged") for line in p.stderr.splitlines()), p.stderr)
        self.assertIn("554 5.7.1 no\\nerror: forged line \\x1b[31mred\\u009b2J", p.stderr)

    def test_one_refused_recipient_of_three(self):
        server = self.serve(reject=["second@example.com"])
        p = self.send(self.config(server), "--title", "t", "--body", "b")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("refused recipients: second@example.com (550 5.1.1 User unknown)", p.stdout)
        self.assertEqual(sorted(server.recorder.messages[0]["rcpt"]),
                         ["cc@example.com", "hidden@example.com", "oncall@example.com"])

    def test_bad_credentials_are_permanent(self):
        server = self.serve()
        with open(self.config(server)) as f:
            text = f.read()
        cfg = os.path.join(self.tmp.name, "badauth.yaml")
        with open(cfg, "w") as f:
            f.write(text.replace('password: "${SMTP_PASSWORD}"', 'password: wrong'))
        p = self.send(cfg, "--title", "t", "--body", "b")
        self.assertEqual(p.returncode, 1)
        self.assertIn("mail: failed (1 attempt): authentication failed: 535", p.stderr)
        self.assertEqual(server.recorder.auth_attempts, 1)

    def test_connection_lost_during_data_is_retried_without_loss(self):
        server = self.serve(abort_data_first=True)
        p = self.send(self.config(server), "--title", "t", "--body", "b")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("mail: delivered (2 attempts)", p.stdout)
        self.assertEqual(len(server.recorder.messages), 1)

    def test_sessions_are_reused(self):
        server = self.serve()
        cfg = self.config(server, "    max_inflight: 2\n    max_messages_per_connection: 1000\n    queue: {capacity: 1000}\n")
        p = subprocess.run([f"{BUILD}/bench/notibus_load", cfg, "200"], capture_output=True, text=True,
                           env=dict(os.environ, SMTP_PASSWORD=PASSWORD), timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(len(server.recorder.messages), 200)
        self.assertLessEqual(len(server.recorder.peers), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
