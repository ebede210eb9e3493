#!/usr/bin/python3
"""Alertmanager into notibus: a real Debian `prometheus-alertmanager` whose
webhook receiver is notibus's /hooks/alertmanager, fed by `amtool alert
add` (firing, then resolved); and the same notification posted 1,000 times,
as Alertmanager's retries would, delivered once.

Run with /usr/bin/python3. Needs NOTIBUS_BIN, NOTIBUS_BUILD_DIR and NOTIBUS_SOURCE_DIR.
"""
import datetime
import http.client
import json
import os
import subprocess
import unittest

from ingest_lib import IngestServer, free_port, wait_until

AM_CONFIG = """route:
  receiver: notibus
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: notibus
    webhook_configs:
      - url: http://127.0.0.1:{port}/hooks/alertmanager
        send_resolved: true
        http_config:
          authorization: {{credentials: "{token}"}}
"""


class AlertmanagerTest(IngestServer):
    def start_alertmanager(self):
        config = os.path.join(self.dir, "alertmanager.yml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(AM_CONFIG.format(port=self.port, token=self.token))
        self.am_port = free_port()
        am_log = open(os.path.join(self.dir, "am.log"), "w", encoding="utf-8")
        self.addCleanup(am_log.close)
        self.am = subprocess.Popen(
            ["prometheus-alertmanager", f"--config.file={config}",
             f"--storage.path={os.path.join(self.dir, 'am-data')}",
             f"--web.listen-address=127.0.0.1:{self.am_port}", "--cluster.listen-address="],
            stdout=subprocess.DEVNULL, stderr=am_log)
        self.addCleanup(self.am.wait, 20)
        self.addCleanup(self.am.terminate)
        self.assertTrue(wait_until(lambda: self.amtool("config", "show").returncode == 0))

    def amtool(self, *args):
        return subprocess.run(["amtool", f"--alertmanager.url=http://127.0.0.1:{self.am_port}", *args],
                              capture_output=True, text=True, timeout=30)

    def test_firing_then_resolved(self):
        self.start_alertmanager()
        labels = ["alertname=DiskFull", "severity=critical", "instance=db1"]
        added = self.amtool("alert", "add", *labels, "--annotation=summary=Disk almost full",
                            "--annotation=description=92% used")
        self.assertEqual(added.returncode, 0, added.stderr)
        [firing] = self.delivered(lambda m: m["title"].startswith("[FIRING:1] Disk almost full"))
        self.assertEqual(firing["attributes"]["notibus.source"], "alertmanager")
        self.assertEqual(firing["priority"], "urgent")
        self.assertEqual(firing["attributes"]["label.alertname"], "DiskFull")
        self.assertEqual(firing["format"], "markdown")
        self.assertIn("92% used", firing["body"])
        end = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        resolved = self.amtool("alert", "add", *labels, "--annotation=summary=Disk almost full",
                               "--annotation=description=92% used", f"--end={end}")
        self.assertEqual(resolved.returncode, 0, resolved.stderr)
        [done] = self.delivered(lambda m: m["title"].startswith("[RESOLVED] Disk almost full"), count=1)
        self.assertEqual(done["priority"], "normal")
        self.assertIn("resolved", done["tags"])
        self.assertEqual(len([m for m in self.messages() if "Disk almost full" in m["title"]]), 2)

    def test_a_thousand_retries_deliver_once(self):
        payload = json.dumps({
            "version": "4", "groupKey": "{}:{alertname=\"Retried\"}", "status": "firing",
            "receiver": "notibus", "groupLabels": {"alertname": "Retried"},
            "commonLabels": {"alertname": "Retried", "severity": "warning"},
            "commonAnnotations": {"summary": "Retried alert"}, "externalURL": "http://am",
            "alerts": [{"status": "firing", "labels": {"alertname": "Retried"}, "annotations": {},
                        "startsAt": "2026-12-07T06:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "http://prom", "fingerprint": "f00d"}]}).encode()
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + self.token}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        ids = set()
        for _ in range(1000):
            conn.request("POST", "/hooks/alertmanager", payload, headers)
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            ids.update(json.loads(r.read())["ids"])
        conn.close()
        self.assertEqual(len(ids), 1)
        self.delivered(lambda m: m["title"] == "[FIRING:1] Retried alert")
        self.assertEqual(len([m for m in self.messages() if m["title"] == "[FIRING:1] Retried alert"]), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
