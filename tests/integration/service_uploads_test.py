#!/usr/bin/python3
"""Native file uploads of the service definitions (docs/attachments.md): the
Telegram, ntfy, Matrix, Pushover, Slack (bot) and Mattermost (bot) definitions against stand-ins on
127.0.0.1 that parse what arrived as each service documents it (method,
path, auth, multipart fields or raw bytes), Matrix's two steps fed by the
upload's answer, a retry that resumes at the file that failed, a step whose
answer lacks what it captures, and a type the service does not take.

Needs NOTIBUS_BIN, NOTIBUS_BUILD_DIR and NOTIBUS_TEST_MODULES in the environment.
"""
import base64
import http.server
import json
import threading
import time
import unittest
import urllib.parse

from attachments_test import LOG, PNG, SinkCase, parts_of


class StandIn:
    """Records (method, path with query, headers, body); `answer(method, path)`
    gives (status, JSON or a str for plain text) for each request."""

    def __init__(self, answer):
        self.requests, self.answer = [], answer
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stand_in.requests.append((self.command, self.path, dict(self.headers), body))
                status, doc = stand_in.answer(self.command, self.path)
                text = isinstance(doc, str)  # a plain-text answer
                data = doc.encode() if text else json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if text else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PUT = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def channel_report(d, message_id, limit=15):
    """The message's first channel once it is no longer pending or retrying."""
    deadline = time.time() + limit
    while time.time() < deadline:
        _, _, data = d.request("GET", f"/v1/messages/{message_id}")
        channel = json.loads(data)["channels"][0]
        if channel["state"] not in ("pending", "retrying"):
            return channel
        time.sleep(0.05)
    return channel


def files_json(*files):
    return [{"name": n, "content": base64.b64encode(b).decode()} for n, b in files]


class ServiceUploadsTest(SinkCase):

    def serve(self, answer, service_yaml):
        self.stand_in = StandIn(answer)
        self.addCleanup(self.stand_in.close)
        return self.daemon(f"  svc: {{{service_yaml.format(url=self.stand_in.url)}}}\n",
                           "  - to: [svc]\n")

    def report(self, d, message_id):
        return channel_report(d, message_id)

    def send(self, d, *files, body="look **here**"):
        status, _, reply = d.post({"title": "Disk", "body": body, "format": "markdown",
                                   "attachments": files_json(*files)})
        self.assertEqual(status, 202, reply)
        return reply["id"]

    def test_telegram_sends_the_text_then_each_file_with_send_document(self):
        d = self.serve(lambda m, p: (200, {"ok": True, "result": {}}),
                       'type: telegram, bot_token: "123:SECRET", chat_id: "-100", '
                       'api_url: "{url}", thread_id: 7')
        report = self.report(d, self.send(d, ("shot.png", PNG), ("réport.log", LOG)))
        self.assertEqual(report["state"], "delivered", report)
        self.assertEqual(report["attachments"], ["sent", "sent"])
        text, shot, log = self.stand_in.requests
        self.assertEqual(text[:2], ("POST", "/bot123:SECRET/sendMessage"))
        self.assertEqual(json.loads(text[3])["text"], "<b>Disk</b>\nlook <b>here</b>")
        for (method, path, headers, body), (name, ctype, data) in (
                (shot, ("shot.png", "image/png", PNG)),
                (log, ("réport.log", "text/plain", LOG))):
            self.assertEqual((method, path), ("POST", "/bot123:SECRET/sendDocument"))
            fields = {p[0]: p for p in parts_of(headers, body)}
            self.assertEqual(sorted(fields), ["chat_id", "disable_notification", "document",
                                              "message_thread_id"])
            self.assertEqual(fields["chat_id"][3], b"-100")
            self.assertEqual(fields["disable_notification"][3], b"false")
            self.assertEqual(fields["message_thread_id"][3], b"7")
            self.assertEqual(fields["document"][1:3], (name, ctype))
            self.assertEqual(fields["document"][3], data)
        self.assertNotIn("SECRET", d.logs())

    def test_ntfy_puts_each_file_as_the_body_named_in_the_query(self):
        d = self.serve(lambda m, p: (200, {"id": "x"}),
                       'type: ntfy, server: "{url}", topic: alerts, token: tk_SECRET')
        report = self.report(d, self.send(d, ("réport.log", LOG)))
        self.assertEqual(report["state"], "delivered", report)
        text, upload = self.stand_in.requests
        self.assertEqual(json.loads(text[3])["topic"], "alerts")
        method, path, headers, body = upload
        self.assertEqual((method, path), ("PUT", "/alerts?filename=r%C3%A9port.log"))
        self.assertEqual(headers["Authorization"], "Bearer tk_SECRET")
        self.assertEqual(headers["Content-Type"], "text/plain")
        self.assertEqual(body, LOG)

    def matrix(self, answer):
        return self.serve(answer, 'type: matrix, homeserver: "{url}", access_token: SECRET, '
                                  'room_id: "!room:example.org"')

    def test_matrix_uploads_then_posts_an_event_with_the_content_uri(self):
        uploads = []

        def answer(method, path):
            if path.startswith("/_matrix/media/v3/upload"):
                uploads.append(path)
                return 200, {"content_uri": f"mxc://example.org/m{len(uploads)}"}
            return 200, {"event_id": "$e"}

        d = self.matrix(answer)
        message_id = self.send(d, ("shot.png", PNG), ("réport.log", LOG))
        report = self.report(d, message_id)
        self.assertEqual(report["state"], "delivered", report)
        methods = [(r[0], urllib.parse.urlsplit(r[1]).path) for r in self.stand_in.requests]
        room = "/_matrix/client/v3/rooms/!room:example.org/send/m.room.message/"
        self.assertEqual(methods, [
            ("PUT", room + message_id + ".svc"),
            ("POST", "/_matrix/media/v3/upload"), ("PUT", room + message_id + ".svc.0"),
            ("POST", "/_matrix/media/v3/upload"), ("PUT", room + message_id + ".svc.1")])
        _, path, headers, body = self.stand_in.requests[1]
        self.assertEqual(path, "/_matrix/media/v3/upload?filename=shot.png")
        self.assertEqual((headers["Authorization"], headers["Content-Type"], body),
                         ("Bearer SECRET", "image/png", PNG))
        image = json.loads(self.stand_in.requests[2][3])
        self.assertEqual(image, {"msgtype": "m.image", "body": "shot.png", "filename": "shot.png",
                                 "url": "mxc://example.org/m1",
                                 "info": {"mimetype": "image/png", "size": len(PNG)}})
        log = json.loads(self.stand_in.requests[4][3])
        self.assertEqual((log["msgtype"], log["url"], log["filename"]),
                         ("m.file", "mxc://example.org/m2", "réport.log"))

    def test_a_retry_resumes_at_the_file_that_failed(self):
        failures = [503]  # the second file's event, once

        def answer(method, path):
            if path.startswith("/_matrix/media/v3/upload"):
                return 200, {"content_uri": "mxc://example.org/m"}
            if path.endswith(".1") and failures:
                return failures.pop(), {"errcode": "M_UNKNOWN", "error": "busy"}
            return 200, {"event_id": "$e"}

        d = self.matrix(answer)
        report = self.report(d, self.send(d, ("a.png", PNG), ("b.log", LOG)))
        self.assertEqual(report["state"], "delivered", report)
        self.assertEqual(report["attempts"], 2)
        paths = [urllib.parse.urlsplit(r[1]).path.rsplit("/", 1)[-1] for r in self.stand_in.requests]
        # The text and the first file once; the second file's steps again.
        self.assertEqual([p.split(".", 1)[-1] for p in paths],
                         ["svc", "upload", "svc.0", "upload", "svc.1", "upload", "svc.1"])

    def test_an_answer_without_what_a_step_captures_fails_naming_the_file(self):
        d = self.matrix(lambda m, p: (200, {"event_id": "$e"}))
        report = self.report(d, self.send(d, ("a.png", PNG)))
        self.assertEqual(report["state"], "failed", report)
        self.assertIn("file a.png (step 1 of 2): the answer has no content_uri",
                      report["last_error"])

    def test_pushover_takes_one_image_in_its_form_and_omits_the_rest(self):
        d = self.serve(lambda m, p: (200, {"status": 1}),
                       'type: pushover, user_key: USERKEY, app_token: APPSECRET, '
                       'api_url: "{url}"')
        report = self.report(d, self.send(d, ("réport.log", LOG), ("shot.png", PNG)))
        self.assertEqual(report["state"], "delivered", report)
        self.assertEqual(report["attachments"], ["omitted", "sent"])
        self.assertIn("réport.log not of a type pushover takes (image/*)", report["detail"])
        (method, path, headers, body), = self.stand_in.requests
        fields = {p[0]: p for p in parts_of(headers, body)}
        self.assertEqual(sorted(fields), ["attachment", "html", "message", "priority", "title",
                                          "token", "user"])
        self.assertEqual(fields["message"][3], b"look <b>here</b>")
        self.assertEqual(fields["attachment"][1:], ("shot.png", "image/png", PNG))

    def test_slack_bot_gets_an_upload_url_sends_the_bytes_and_completes(self):
        def answer(method, path):
            if path == "/api/files.getUploadURLExternal":
                return 200, {"ok": True, "file_id": "F07", "upload_url": self.stand_in.url + "/up/F07"}
            if path == "/up/F07":
                return 200, "OK - 10248"
            return 200, {"ok": True}

        d = self.serve(answer, 'type: slack_bot, bot_token: xoxb-SECRET, channel: C0123, '
                               'api_url: "{url}/api"')
        report = self.report(d, self.send(d, ("shot.png", PNG)))
        self.assertEqual(report["state"], "delivered", report)
        self.assertEqual([r[:2] for r in self.stand_in.requests], [
            ("POST", "/api/chat.postMessage"), ("POST", "/api/files.getUploadURLExternal"),
            ("POST", "/up/F07"), ("POST", "/api/files.completeUploadExternal")])
        text, get_url, upload, complete = self.stand_in.requests
        self.assertEqual(json.loads(text[3]), {"channel": "C0123", "text": "*Disk*\nlook *here*"})
        self.assertEqual(urllib.parse.parse_qs(get_url[3].decode()),
                         {"filename": ["shot.png"], "length": [str(len(PNG))]})
        self.assertEqual(upload[3], PNG)
        self.assertNotIn("Authorization", upload[2])  # the bot token stays with Slack's API
        self.assertEqual(json.loads(complete[3]), {"files": [{"id": "F07", "title": "shot.png"}],
                                                   "channel_id": "C0123"})
        for r in (text, get_url, complete):
            self.assertEqual(r[2]["Authorization"], "Bearer xoxb-SECRET")

    def test_slack_bot_will_not_upload_where_an_answer_may_not_send_it(self):
        # The service is on loopback (the stand-in): an upload URL on loopback
        # goes, one on a link-local address (cloud metadata) is refused
        # before any connection, whatever the service is.
        upload_host = {"url": None}

        def answer(method, path):
            if path == "/api/files.getUploadURLExternal":
                return 200, {"ok": True, "file_id": "F07", "upload_url": upload_host["url"]}
            return 200, {"ok": True}

        d = self.serve(answer, 'type: slack_bot, bot_token: xoxb-SECRET, channel: C0123, '
                               'api_url: "{url}/api"')
        upload_host["url"] = "http://169.254.169.254/latest/meta-data/"
        report = self.report(d, self.send(d, ("shot.png", PNG)))
        self.assertEqual(report["state"], "failed", report)
        self.assertIn("file shot.png (step 2 of 3): 169.254.169.254 is 169.254.169.254, a link-local "
                      "(cloud metadata) address, where an answer of the service may not send a "
                      "request", report["last_error"])
        self.assertNotIn(("POST", "/latest/meta-data/"), [r[:2] for r in self.stand_in.requests])
        upload_host["url"] = self.stand_in.url.replace("127.0.0.1", "localhost") + "/up/F07"
        report = self.report(d, self.send(d, ("shot.png", PNG)))
        self.assertEqual(report["state"], "delivered", report)
        self.assertIn(("POST", "/up/F07"), [r[:2] for r in self.stand_in.requests])

    def test_slack_bot_says_why_slack_refused_a_step(self):
        def answer(method, path):
            if path == "/api/files.getUploadURLExternal":
                return 200, {"ok": False, "error": "missing_scope"}
            return 200, {"ok": True}

        d = self.serve(answer, 'type: slack_bot, bot_token: xoxb-SECRET, channel: C0123, '
                               'api_url: "{url}/api"')
        report = self.report(d, self.send(d, ("a.log", LOG)))
        self.assertEqual(report["state"], "failed", report)
        self.assertIn("file a.log (step 1 of 3): HTTP 200: missing_scope", report["last_error"])

    def test_mattermost_bot_uploads_then_posts_the_file_id(self):
        def answer(method, path):
            if path == "/api/v4/files":
                return 201, {"file_infos": [{"id": "fid42", "name": "x"}]}
            return 201, {"id": "post"}

        d = self.serve(answer, 'type: mattermost_bot, server: "{url}", token: SECRET, '
                               'channel_id: chan26')
        report = self.report(d, self.send(d, ("réport.log", LOG)))
        self.assertEqual(report["state"], "delivered", report)
        text, upload, post = self.stand_in.requests
        self.assertEqual(json.loads(text[3]), {"channel_id": "chan26",
                                               "message": "**Disk**\nlook **here**"})
        fields = {p[0]: p for p in parts_of(upload[2], upload[3])}
        self.assertEqual(fields["channel_id"][3], b"chan26")
        self.assertEqual(fields["files"][1:], ("réport.log", "text/plain", LOG))
        self.assertEqual(json.loads(post[3]), {"channel_id": "chan26", "message": "",
                                               "file_ids": ["fid42"]})
        self.assertEqual(upload[2]["Authorization"], "Bearer SECRET")


if __name__ == "__main__":
    unittest.main()
