#!/usr/bin/python3
"""Formatted bodies end to end: every document of tests/format/corpus goes
through `notibus send --format ...` to stand-ins of eight services that refuse
what their service would refuse (format_standins.py), and to a real SMTP
server (Debian's aiosmtpd) whose mails Python's `email` package takes apart.
Then splitting (parts in order, each within the limit), a channel's `render:`
and a service URL's `?format=text`.

Run with /usr/bin/python3. Needs NOTIBUS_BIN and NOTIBUS_SOURCE_DIR.
"""
import email
import email.policy
import os
import re
import socket
import subprocess
import tempfile
import threading
import unittest
import http.server

from aiosmtpd.controller import Controller

from format_standins import MATRIX_TAGS, StandIn, StrictHtml, slack_problems, telegram_problems

BIN = os.environ["NOTIBUS_BIN"]
CORPUS = os.path.join(os.environ["NOTIBUS_SOURCE_DIR"], "tests", "format", "corpus")
FORMATS = {".md": "markdown", ".html": "html", ".txt": "text"}
SERVICES = ["telegram", "slack", "discord", "matrix", "pushover", "ntfy", "gotify", "mattermost"]


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def channels(port, smtp_port, extra=""):
    base = f"http://127.0.0.1:{port}"
    return f"""version: 1
channels:
  telegram: {{type: telegram, bot_token: "1:TOKEN", chat_id: "5", api_url: "{base}"}}
  slack: {{type: slack, webhook_url: "{base}/slack/x"}}
  discord: {{type: discord, webhook_url: "{base}/discord/1/x"}}
  matrix: {{type: matrix, homeserver: "{base}", access_token: "t", room_id: "!r:example.org"}}
  pushover: {{type: pushover, app_token: "a", user_key: "u", api_url: "{base}"}}
  ntfy: {{type: ntfy, server: "{base}", topic: "alerts"}}
  gotify: {{type: gotify, server: "{base}", app_token: "g"}}
  mattermost: {{type: mattermost, webhook_url: "{base}/hooks/x"}}
  mail: {{type: email, host: 127.0.0.1, port: {smtp_port}, tls: none, from: "a@example.com",
         to: ["b@example.com"]}}
{extra}routes:
  - to: [{", ".join(SERVICES)}, mail]
"""


class FormatsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
        threading.Thread(target=cls.http.serve_forever, daemon=True).start()
        cls.mailbox = Mailbox()
        with socket.socket() as probe:  # aiosmtpd needs a port it can connect to
            probe.bind(("127.0.0.1", 0))
            smtp_port = probe.getsockname()[1]
        cls.smtp = Controller(cls.mailbox, hostname="127.0.0.1", port=smtp_port)
        cls.smtp.start()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.config = os.path.join(cls.tmp.name, "notibus.yaml")
        with open(cls.config, "w") as f:
            f.write(channels(cls.http.server_port, smtp_port, extra="""  long-discord: {type: discord, webhook_url: "http://127.0.0.1:%d/discord/2/y", overflow: split}
  long-telegram: {type: telegram, bot_token: "2:TOKEN", chat_id: "6", api_url: "http://127.0.0.1:%d", overflow: split}
  plain-discord: {type: discord, webhook_url: "http://127.0.0.1:%d/discord/3/z", render: text}
  flaky-discord: {type: discord, webhook_url: "http://127.0.0.1:%d/discord/4/f", overflow: split,
                  retry: {initial_backoff: 50ms}}
""" % ((cls.http.server_port,) * 4)))

    @classmethod
    def tearDownClass(cls):
        cls.smtp.stop()
        cls.http.shutdown()
        cls.http.server_close()
        cls.tmp.cleanup()

    def setUp(self):
        StandIn.received.clear()
        self.mailbox.messages.clear()

    def send(self, *args):
        return subprocess.run([BIN, "send", "-c", self.config, *args], capture_output=True,
                              timeout=60)

    def test_every_corpus_document_is_taken_by_every_service(self):
        names = sorted(n for n in os.listdir(CORPUS) if os.path.splitext(n)[1] in FORMATS)
        sent = 0
        for name in names:
            with open(os.path.join(CORPUS, name), "rb") as f:
                body = f.read()
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                continue  # publish refuses a body that is not UTF-8 (the renderers' own tests read it)
            if b"\0" in body or not body.strip():
                continue  # an argument cannot hold NUL; an empty body is refused by the services
            p = self.send("--format", FORMATS[os.path.splitext(name)[1]], "--title", "T <&> *x*",
                          "--body", body)
            self.assertEqual(p.returncode, 0, f"{name}: {p.stdout.decode()} {p.stderr.decode()}")
            sent += 1
        self.assertGreater(sent, 60)
        by_service = {}
        for service, payload, problems in StandIn.received:
            self.assertEqual(problems, [], f"{service}: {payload}")
            by_service[service] = by_service.get(service, 0) + 1
        self.assertEqual(by_service, {s: sent for s in SERVICES})
        self.assertEqual(len(self.mailbox.messages), sent)
        self.check_nothing_active_arrived()
        self.check_mails()

    def check_nothing_active_arrived(self):
        """No markup field carries a script, an event handler or a javascript: link.
        (Matrix's `body` is plain text by its spec: text there is only text.)"""
        def strings(value, key=""):
            if isinstance(value, dict):
                for k, v in value.items():
                    yield from strings(v, k)
            elif isinstance(value, list):
                for v in value:
                    yield from strings(v, key)
            elif isinstance(value, str):
                yield key, value

        checked = 0
        for service, payload, _ in StandIn.received:
            for key, text in strings(payload):
                if service == "matrix" and key == "body":
                    continue
                checked += 1
                # "\\<script" is Markdown for the text "<script", "&lt;script" HTML's.
                self.assertNotRegex(text, r"(?i)(?<!\\)<script", service)
                self.assertNotRegex(text, r'(?i)href="\s*(javascript|data|vbscript):', service)
                self.assertNotRegex(text, r"(?i)\]\(\s*(javascript|data|vbscript):", service)
                self.assertNotRegex(text, r"(?i)<[a-z][^>]*\son[a-z]+=", service)
        self.assertGreater(checked, 500)

    def check_mails(self):
        rich = 0
        for m in self.mailbox.messages:
            if m.get_content_type() == "text/plain":
                continue
            rich += 1
            self.assertEqual(m.get_content_type(), "multipart/alternative")
            parts = [p.get_content_type() for p in m.iter_parts()]
            self.assertEqual(parts, ["text/plain", "text/html"])
            html_part = list(m.iter_parts())[1].get_content()
            body = re.search(r"<body>(.*)</body>", html_part, re.S).group(1)
            problems = StrictHtml(MATRIX_TAGS, None, {"a": ("href",), "code": ("class",),
                                                      "ol": ("start",)}).check(body)
            self.assertEqual(problems, [], body)
        self.assertGreater(rich, 55)

    def test_the_stand_ins_refuse_what_their_service_refuses(self):
        for bad in ("<p>x</p>", "<b>x", "<b><i>x</b></i>", "a & b", "a < b", "&nbsp;",
                    '<a href="javascript:x">a</a>', "<b onclick=\"x\">a</b>", "x" * 4097, ""):
            self.assertNotEqual(telegram_problems(bad), [], bad)
        self.assertEqual(telegram_problems('<b>a</b> &amp; <a href="https://x">\U0001F600</a>'), [])
        for bad in ("a & b", "a > b", "<javascript:x|a>", "<b>", "x" * 40001):
            self.assertNotEqual(slack_problems(bad), [], bad)
        self.assertEqual(slack_problems("> quote &amp; <https://x|link>"), [])
        matrix = StrictHtml(MATRIX_TAGS, None, {"a": ("href",)})
        self.assertNotEqual(matrix.check("<script>x</script><iframe></iframe>"), [])

    def test_a_long_message_is_split_into_ordered_parts_within_each_limit(self):
        paragraphs = [f"Paragraph {i}: **host-{i}** is at [{90 + i % 10} %](https://grafana.example.com/d/{i}) "
                      + "and climbing " * 12 for i in range(40)]
        body = "\n\n".join(paragraphs) + "\n\n```\n" + "".join(f"line {i}\n" for i in range(80)) + "```\n"
        p = self.send("--channel", "long-discord", "--channel", "long-telegram", "--format", "markdown",
                      "--title", "Report", "--body", body)
        self.assertEqual(p.returncode, 0, p.stdout.decode() + p.stderr.decode())
        self.assertIn("sent in", p.stdout.decode())
        for service, field in (("discord", "content"), ("telegram", "text")):
            texts = [payload[field] for s, payload, _ in StandIn.received if s == service]
            self.assertGreater(len(texts), 2, service)
            for i, text in enumerate(texts, 1):
                self.assertTrue(text.endswith(f"({i}/{len(texts)})"), text[-20:])
                self.assertEqual(text.count("```") % 2, 0, text)
                self.assertEqual(len(re.findall(r"https://grafana\.example\.com/d/\d+\)", text)),
                                 len(re.findall(r"\[\d+ %\]\(", text)), text)
            joined = "".join(texts)
            for i in range(40):
                self.assertIn(f"host-{i}", joined)
            self.assertLess(joined.index("host-3<") if service == "telegram" else joined.index("host-3*"),
                            joined.index("host-30"))

    def test_a_failed_part_is_retried_without_sending_the_parts_before_it_again(self):
        body = "\n\n".join(f"Paragraph {i}: " + "word " * 150 for i in range(6))
        p = self.send("--channel", "flaky-discord", "--format", "markdown", "--body", body)
        self.assertEqual(p.returncode, 0, p.stdout.decode() + p.stderr.decode())
        self.assertIn("flaky-discord: delivered (2 attempts)", p.stdout.decode())
        calls = [(payload["content"], problems) for s, payload, problems in StandIn.received
                 if s == "flaky"]
        parts = len(calls) - 1  # one part went twice: the one that failed
        self.assertGreater(parts, 2)
        self.assertEqual(calls[1][1], ["failed once"])
        self.assertEqual(calls[1][0], calls[2][0])  # the failed part again, not the first
        sent = [content for content, problems in calls if not problems]
        self.assertEqual([c[-len(f"({i}/{parts})"):] for i, c in enumerate(sent, 1)],
                         [f"({i}/{parts})" for i in range(1, parts + 1)])

    def test_a_title_beside_a_rendered_body_is_text(self):
        p = self.send("--channel", "discord", "--channel", "telegram", "--format", "markdown",
                      "--title", "cpu*2 <high>", "--body", "*really*")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        got = {s: payload for s, payload, _ in StandIn.received}
        self.assertEqual(got["discord"]["content"], "**cpu\\*2 \\<high\\>**\n*really*")
        self.assertEqual(got["telegram"]["text"], "<b>cpu*2 &lt;high&gt;</b>\n<i>really</i>")

    def test_a_channel_can_take_plain_text_and_a_url_can_ask_for_it(self):
        p = self.send("--channel", "plain-discord", "--format", "markdown", "--body", "**bold** [a](https://x.example/)")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        content = [payload["content"] for s, payload, _ in StandIn.received if s == "discord"][0]
        self.assertEqual(content, "bold a (https://x.example/)")
        StandIn.received.clear()
        base = f"127.0.0.1:{self.http.server_port}"
        p = subprocess.run([BIN, "send", "--to", f"tgram://3:TOKEN/7?api_url=http://{base}&format=text",
                            "--format", "markdown", "--body", "**bold**"], capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual([payload["text"] for s, payload, _ in StandIn.received], ["bold"])
        p = subprocess.run([BIN, "send", "--to", f"tgram://3:TOKEN/7?format=rtf", "--body", "x"],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertIn("?format= takes text, markdown or html", p.stderr.decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
