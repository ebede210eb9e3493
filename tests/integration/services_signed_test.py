#!/usr/bin/python3
"""Signed service requests (request.sign in the definition format) checked
by an independent signer: Python's hmac module recomputes DingTalk's query
signature and Feishu's and Lark's body signatures from what arrived at a
stand-in on 127.0.0.1, as each service documents them; a robot without a
secret gets no signature at all.

Needs NOTIBUS_BIN, NOTIBUS_BUILD_DIR and NOTIBUS_TEST_MODULES in the environment.
"""
import base64
import hashlib
import hmac
import json
import time
import unittest
import urllib.parse

from attachments_test import SinkCase
from service_uploads_test import StandIn

SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"


class SignedServicesTest(SinkCase):

    def deliver(self, service_yaml, answer):
        self.stand_in = StandIn(lambda m, p: answer)
        self.addCleanup(self.stand_in.close)
        d = self.daemon(f"  svc: {{{service_yaml.format(url=self.stand_in.url)}}}\n", "  - to: [svc]\n")
        status, _, reply = d.post({"title": "Disk full", "body": "on **db1**", "format": "markdown"})
        self.assertEqual(status, 202, reply)
        deadline = time.time() + 10
        while not self.stand_in.requests and time.time() < deadline:
            time.sleep(0.02)
        (method, path, headers, body), = self.stand_in.requests
        return path, json.loads(body)

    def test_dingtalk_signs_the_timestamp_and_secret_in_the_query(self):
        before = int(time.time() * 1000)
        path, body = self.deliver(f'type: dingtalk, access_token: TOKEN1, secret: "{SECRET}", '
                                  'api_url: "{url}"', (200, {"errcode": 0, "errmsg": "ok"}))
        url = urllib.parse.urlsplit(path)
        self.assertEqual(url.path, "/robot/send")
        query = urllib.parse.parse_qs(url.query)
        self.assertEqual(sorted(query), ["access_token", "sign", "timestamp"])
        timestamp = query["timestamp"][0]
        self.assertLessEqual(abs(int(timestamp) - before), 10_000)
        expected = base64.b64encode(hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(),
                                             hashlib.sha256).digest()).decode()
        self.assertEqual(query["sign"], [expected])
        self.assertIn("sign=" + urllib.parse.quote(expected, safe=""), url.query)
        self.assertEqual(body, {"msgtype": "markdown", "markdown": {
            "title": "Disk full", "text": "### Disk full\n\non **db1**"}})

    def test_dingtalk_without_a_secret_sends_no_signature(self):
        path, _ = self.deliver('type: dingtalk, access_token: TOKEN1, api_url: "{url}"',
                               (200, {"errcode": 0, "errmsg": "ok"}))
        self.assertEqual(path, "/robot/send?access_token=TOKEN1")

    def check_feishu_style(self, service):
        path, body = self.deliver(f'type: {service}, token: hook-token, secret: "{SECRET}", '
                                  'api_url: "{url}"', (200, {"code": 0, "msg": "success"}))
        self.assertEqual(path, "/open-apis/bot/v2/hook/hook-token")
        timestamp = body["timestamp"]
        self.assertLessEqual(abs(int(timestamp) - time.time()), 10)
        key = f"{timestamp}\n{SECRET}".encode()
        self.assertEqual(body["sign"], base64.b64encode(
            hmac.new(key, b"", hashlib.sha256).digest()).decode())
        self.assertEqual((body["msg_type"], body["content"]),
                         ("text", {"text": "Disk full\non db1"}))

    def test_feishu_signs_an_empty_message_keyed_by_timestamp_and_secret(self):
        self.check_feishu_style("feishu")

    def test_lark_signs_as_feishu_does(self):
        self.check_feishu_style("lark")


if __name__ == "__main__":
    unittest.main()
