#!/usr/bin/python3
"""A channel's `attachments: link` (docs/attachments.md): the files a channel
cannot take go to it as signed, expiring links in its text (Mattermost's
webhook, which takes no files, against a real HTTP server on 127.0.0.1), and
`notibus serve` answers those links without its token: the file as a
download, 403 for a link whose signature does not hold, 410 once expired.

Needs NOTIBUS_BIN, NOTIBUS_BUILD_DIR and NOTIBUS_TEST_MODULES in the environment.
"""
import base64
import json
import os
import re
import signal
import time
import unittest
import urllib.parse

from attachments_test import LOG, PNG, SinkCase

SECRET = "link-signing-key-of-40-characters-123456"


class AttachmentLinksTest(SinkCase):

    def linking_daemon(self, ttl="30s", spool=None):
        top = (f'attachments:\n  links: {{base_url: "https://notibus.example.com/", '
               f'secret: "{SECRET}", ttl: {ttl}}}\n')
        if spool:
            top += f'spool: {{dir: "{spool}"}}\n'
        return self.daemon(f'  mm: {{type: mattermost, webhook_url: "{self.sink.url}", '
                           f'attachments: link}}\n', "  - to: [mm]\n", top_extra=top)

    def start(self, body_format, ttl="30s", spool=None):
        d = self.linking_daemon(ttl, spool)
        files = [{"name": "shot (1).png", "content": base64.b64encode(PNG).decode()},
                 {"name": "réport.log", "content": base64.b64encode(LOG).decode()}]
        status, _, body = d.post({"title": "T", "body": "see", "format": body_format,
                                  "attachments": files})
        self.assertEqual(status, 202, body)
        (_, raw), = self.sink.wait(1)
        return d, body["id"], json.loads(raw)["text"]

    def report(self, d, message_id):
        _, _, data = d.request("GET", f"/v1/messages/{message_id}")
        return json.loads(data)["channels"][0]

    def test_the_text_links_to_each_file_and_the_link_serves_it_without_the_token(self):
        d, message_id, text = self.start("markdown")
        base = f"https://notibus.example.com/v1/attachments/{message_id}/"
        urls = re.findall(r"\]\((https://[^)]+)\)", text)
        self.assertEqual(len(urls), 2, text)
        # The list as Markdown, then rendered for Mattermost like the rest of the body.
        self.assertTrue(text.startswith("**T**\nsee\n\n**Attachments:**\n\n- [shot (1).png]("), text)
        self.assertIn(") (10.2 kB)\n- [réport.log](", text)
        self.assertTrue(urls[0].startswith(base + "0/shot%20%281%29.png?expires="), urls[0])
        self.assertTrue(urls[1].startswith(base + "1/r%C3%A9port.log?expires="), urls[1])
        report = self.report(d, message_id)
        self.assertEqual(report["attachments"], ["linked", "linked"])
        self.assertIn("2 attachments linked: mattermost takes no attachments", report["detail"])

        path = urls[0][len("https://notibus.example.com"):]
        status, headers, data = d.request("GET", path, token=None)
        self.assertEqual((status, data), (200, PNG))
        self.assertEqual(headers["Content-Type"], "image/png")
        self.assertEqual(headers["Content-Disposition"],
                         "attachment; filename=\"shot (1).png\"; filename*=UTF-8''shot%20%281%29.png")
        self.assertEqual(headers["Content-Security-Policy"], "sandbox; default-src 'none'")
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        status, _, data = d.request("GET", urls[1][len("https://notibus.example.com"):], token=None)
        self.assertEqual((status, data), (200, LOG))
        status, headers, data = d.request("HEAD", path, token=None)
        self.assertEqual((status, data, headers["Content-Length"]), (200, b"", str(len(PNG))))

        # Another file's number, a later expiry or a changed signature: refused.
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        forged = [path.replace("/0/", "/1/"),
                  path.replace(f"expires={query['expires'][0]}",
                               f"expires={int(query['expires'][0]) + 3600}"),
                  path[:-1] + ("0" if path[-1] != "0" else "1")]
        for p in forged:
            status, _, data = d.request("GET", p, token=None)
            self.assertEqual(status, 403, p)
            self.assertNotIn(PNG[:16], data)
        status, _, _ = d.request("GET", path.split("?")[0], token=None)
        self.assertEqual(status, 400)

    def test_a_link_expires(self):
        d, message_id, text = self.start("text", ttl="1s")
        self.assertIn("\n\nAttachments:\n- shot (1).png (10.2 kB): https://", text)
        url = re.search(r"https://\S+", text).group(0)
        path = url[len("https://notibus.example.com"):]
        status, _, _ = d.request("GET", path, token=None)
        self.assertEqual(status, 200)
        time.sleep(2.2)
        status, _, body = d.request("GET", path, token=None)
        self.assertEqual(status, 410, body)

    def test_links_outlive_a_kill_9_with_a_spool(self):
        spool = os.path.join(self.tmp, "spool")
        d, _, text = self.start("text", spool=spool)
        path = re.search(r"https://\S+", text).group(0)[len("https://notibus.example.com"):]
        self.assertEqual(d.request("GET", path, token=None)[0], 200)
        d.stop(signal.SIGKILL)
        again = self.linking_daemon(spool=spool)
        status, _, data = again.request("GET", path, token=None)
        self.assertEqual((status, data), (200, PNG))

    def test_an_html_body_gets_an_escaped_list(self):
        d, message_id, text = self.start("html")
        self.assertRegex(text, r"\*\*Attachments:\*\*")  # Mattermost gets it rendered as markdown
        self.assertIn("shot (1).png", text)


if __name__ == "__main__":
    unittest.main()
