#!/usr/bin/python3
"""AWS Signature Version 4 of the sns and ses definitions, checked by an
independent signer: a stand-in on 127.0.0.1 takes each request as SNS or
SES would and re-signs it with botocore (Debian's python3-botocore) from
the headers the request says it signed; the Authorization headers must be
equal. Also SNS's XML answers: a Throttling error is retried, an
InvalidParameter one says why.

Needs NOTIBUS_BIN, NOTIBUS_BUILD_DIR and NOTIBUS_TEST_MODULES in the environment.
"""
import datetime
import json
import unittest
import urllib.parse
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from attachments_test import SinkCase
from service_uploads_test import StandIn, channel_report

ACCESS, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
PUBLISHED = ('<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>'
             '<MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult>'
             '</PublishResponse>')


def botocore_authorization(method, path, headers, body, service, region):
    """What botocore signs for this request, from the headers it says it signed."""
    signed = headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    kept = {k: v for k, v in headers.items() if k.lower() in signed and k.lower() != "host"}
    amz_date = kept.pop(next(k for k in kept if k.lower() == "x-amz-date"))
    request = AWSRequest(method=method, url=f"http://{headers['Host']}{path}", headers=kept,
                         data=body)
    with mock.patch("botocore.auth.datetime") as clock:
        clock.datetime.utcnow.return_value = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
        clock.datetime.strptime = datetime.datetime.strptime
        SigV4Auth(Credentials(ACCESS, SECRET), service, region).add_auth(request)
    return request.headers["Authorization"]


class AwsServicesTest(SinkCase):

    def deliver(self, service_yaml, answers):
        answers = list(answers)
        self.stand_in = StandIn(lambda m, p: answers.pop(0) if len(answers) > 1 else answers[0])
        self.addCleanup(self.stand_in.close)
        d = self.daemon(f"  svc: {{{service_yaml.format(url=self.stand_in.url)}}}\n", "  - to: [svc]\n")
        status, _, reply = d.post({"title": "Disk full", "body": "on **db1**", "format": "markdown"})
        self.assertEqual(status, 202, reply)
        return channel_report(d, reply["id"])

    def sns(self, *answers):
        return self.deliver(f'type: sns, access_key: {ACCESS}, secret_key: "{SECRET}", region: eu-west-1, '
                            'topic_arn: "arn:aws:sns:eu-west-1:123456789012:ops", api_url: "{url}", '
                            'retry: {{initial_backoff: 10ms}}', answers)

    def test_sns_publish_is_signed_as_botocore_signs_it(self):
        channel = self.sns((200, PUBLISHED))
        self.assertEqual(channel["state"], "delivered", channel)
        (method, path, headers, body), = self.stand_in.requests
        self.assertEqual((method, path), ("POST", "/"))
        self.assertEqual(urllib.parse.parse_qs(body.decode()), {
            "Action": ["Publish"], "Version": ["2010-03-31"],
            "TopicArn": ["arn:aws:sns:eu-west-1:123456789012:ops"],
            "Subject": ["Disk full"], "Message": ["on db1"]})
        self.assertIn("Credential=AKIDEXAMPLE/", headers["Authorization"])
        self.assertIn("/eu-west-1/sns/aws4_request, SignedHeaders=content-type;host;x-amz-date,",
                      headers["Authorization"])
        self.assertEqual(headers["Authorization"],
                         botocore_authorization(method, path, headers, body, "sns", "eu-west-1"))

    def test_sns_throttling_is_retried_and_an_error_says_why(self):
        throttled = (400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                          "<Message>Rate exceeded</Message></Error></ErrorResponse>")
        channel = self.sns(throttled, (200, PUBLISHED))
        self.assertEqual((channel["state"], channel["attempts"]), ("delivered", 2), channel)
        # Each attempt is signed afresh and still verifies.
        for method, path, headers, body in self.stand_in.requests:
            self.assertEqual(headers["Authorization"],
                             botocore_authorization(method, path, headers, body, "sns", "eu-west-1"))

    def test_sns_invalid_parameter_is_permanent(self):
        channel = self.sns((400, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter"
                                 "</Code><Message>Invalid parameter: TopicArn</Message></Error>"
                                 "</ErrorResponse>"))
        self.assertEqual(channel["state"], "failed", channel)
        self.assertEqual(channel["last_error"],
                         "HTTP 400: InvalidParameter: Invalid parameter: TopicArn")

    def test_ses_send_email_is_signed_as_botocore_signs_it(self):
        channel = self.deliver(f'type: ses, access_key: {ACCESS}, secret_key: "{SECRET}", '
                               'region: us-east-1, from: alerts@example.com, to: [ops@example.com], '
                               'api_url: "{url}"', [(200, {"MessageId": "0100018c-x"})])
        self.assertEqual(channel["state"], "delivered", channel)
        (method, path, headers, body), = self.stand_in.requests
        self.assertEqual((method, path), ("POST", "/v2/email/outbound-emails"))
        doc = json.loads(body)
        self.assertEqual(doc["Destination"], {"ToAddresses": ["ops@example.com"]})
        self.assertEqual(doc["Content"]["Simple"]["Subject"], {"Data": "Disk full", "Charset": "UTF-8"})
        self.assertEqual(doc["Content"]["Simple"]["Body"]["Text"]["Data"], "on db1")
        self.assertIn("<strong>db1</strong>", doc["Content"]["Simple"]["Body"]["Html"]["Data"])
        self.assertEqual(headers["Authorization"],
                         botocore_authorization(method, path, headers, body, "ses", "us-east-1"))


if __name__ == "__main__":
    unittest.main()
