#!/usr/bin/python3
"""The syslog channel against a real rsyslogd (Debian's rsyslog and
rsyslog-openssl) on 127.0.0.1: RFC 5424 over UDP, octet-counted TCP and TLS
with a certificate made by openssl for the test; what rsyslog parsed
(facility, severity, hostname, app name, msgid, structured data, the text
with its line breaks) is compared with what was sent; an unknown CA is
refused with the reason; a receiver that restarted is reconnected to.

Needs NOTIBUS_BIN and NOTIBUS_BUILD_DIR in the environment, rsyslogd and openssl.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from email_test import Pki, free_port

BIN = os.environ["NOTIBUS_BIN"]
PLUGINS = os.path.join(os.environ["NOTIBUS_BUILD_DIR"], "plugins")
RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"


class Rsyslog:
    """rsyslogd in the foreground: a UDP, a TCP and a TLS input, each writing
    what it parsed, as JSON lines, to a file of its own."""

    def __init__(self, directory, pki):
        self.dir = directory
        self.ports = {"udp": free_port(), "tcp": free_port(), "tls": free_port()}
        fields = ('{"facility":"%syslogfacility-text%","severity":"%syslogseverity-text%",'
                  '"host":"%hostname%","app":"%app-name%","procid":"%procid%","msgid":"%msgid%",'
                  '"sd":"%structured-data:::json%","msg":"%msg:::json%","version":"%protocol-version%"}\\n')
        conf = f"""
global(workDirectory="{directory}" parser.escapeControlCharactersOnReceive="off"
       DefaultNetstreamDriverCAFile="{pki.ca}" DefaultNetstreamDriverCertFile="{directory}/server.pem"
       DefaultNetstreamDriverKeyFile="{directory}/server.key")
module(load="imudp")
module(load="imtcp")
template(name="parsed" type="string" string="{fields.replace('"', chr(92) + '"')}")
input(type="imudp" address="127.0.0.1" port="{self.ports['udp']}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="{self.ports['tcp']}" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="{self.ports['tls']}" ruleset="tls"
      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
"""
        for name in self.ports:
            conf += (f'ruleset(name="{name}") {{ action(type="omfile" file="{directory}/{name}.log" '
                     f'template="parsed" flushOnTXEnd="on" asyncWriting="off") }}\n')
        self.conf = os.path.join(directory, "rsyslog.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.start()

    def start(self):
        self.log = open(os.path.join(self.dir, "rsyslogd.out"), "a")
        self.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", self.conf, "-i", os.path.join(self.dir, "pid")],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:  # listening once a TCP connect succeeds
            if subprocess.run(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{self.ports['tcp']}"],
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("rsyslogd did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)
        self.log.close()

    def received(self, name, starting, limit=10):
        """The lines the input `name` parsed whose text starts with `starting`."""
        path = os.path.join(self.dir, f"{name}.log")
        deadline = time.time() + limit
        while True:
            lines = []
            if os.path.exists(path):
                with open(path) as f:
                    lines = [json.loads(l) for l in f if l.strip()]
            for line in lines:
                line["msg"] = line["msg"].removeprefix("\ufeff")
            found = [l for l in lines if l["msg"].startswith(starting)]
            if found or time.time() > deadline:
                return found
            time.sleep(0.05)


class SyslogTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.pki = Pki(cls.tmp)
        cls.rsyslog = Rsyslog(cls.tmp, cls.pki)

    @classmethod
    def tearDownClass(cls):
        cls.rsyslog.stop()
        shutil.rmtree(cls.tmp)

    def send(self, transport, *args, extra=""):
        cfg = os.path.join(self.tmp, f"{transport}.yaml")
        with open(cfg, "w") as f:
            f.write(f"""version: 1
plugin_dirs: [{PLUGINS}]
channels:
  log:
    type: syslog
    host: 127.0.0.1
    port: {self.rsyslog.ports[transport]}
    transport: {transport}
    facility: local3
    hostname: web-1
    retry: {{max_attempts: 1}}
{extra}routes:
  - to: [log]
""")
        return subprocess.run([BIN, "send", "-c", cfg, *args], capture_output=True, text=True, timeout=60)

    def test_udp_carries_facility_severity_and_fields(self):
        p = self.send("udp", "--topic", "db.disk", "--priority", "high", "--title", "Disk full",
                      "--format", "markdown", "--body", "on **db1**")
        self.assertEqual(p.returncode, 0, p.stderr)
        line, = self.rsyslog.received("udp", "Disk full")
        self.assertEqual({k: line[k] for k in ("facility", "severity", "host", "app", "msgid", "version")},
                         {"facility": "local3", "severity": "err", "host": "web-1", "app": "notibus",
                          "msgid": "db.disk", "version": "1"})
        self.assertEqual(line["msg"], "Disk full: on db1")
        self.assertRegex(line["sd"], r'^\[origin software="notibus" swVersion="[0-9.]+"\]$')
        self.assertTrue(line["procid"].isdigit())

    def test_tcp_frames_by_octet_count_so_line_breaks_stay(self):
        body = "line one\nline two: ünïcode ✓\n\nline four"
        p = self.send("tcp", "--priority", "urgent", "--body", body)
        self.assertEqual(p.returncode, 0, p.stderr)
        line, = self.rsyslog.received("tcp", "line one")
        self.assertEqual((line["severity"], line["msg"]), ("crit", body))

    def test_tls_verifies_the_receiver(self):
        p = self.send("tls", "--priority", "low", "--body", "over TLS",
                      extra=f"    ca_file: {self.pki.ca}\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        line, = self.rsyslog.received("tls", "over TLS")
        self.assertEqual(line["severity"], "info")
        p = self.send("tls", "--body", "never", extra=f"    ca_file: {self.pki.other_ca}\n")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("certificate verify failed", p.stdout + p.stderr)
        self.assertEqual(self.rsyslog.received("tls", "never", limit=1), [])

    def test_a_long_message_is_cut_to_max_bytes_on_a_character(self):
        p = self.send("udp", "--body", "é" * 2000, extra="    max_bytes: 600\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("text cut to fit max_bytes (600)", p.stdout + p.stderr)
        line, = self.rsyslog.received("udp", "é")
        self.assertTrue(set(line["msg"]) == {"é"} and 200 < len(line["msg"]) < 300, len(line["msg"]))


class SyslogDaemonTest(unittest.TestCase):
    """A kept TCP connection: a receiver that restarts between messages gets the next one."""

    def test_a_restarted_receiver_is_reconnected_to(self):
        from daemon_test import Daemon
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        rsyslog = Rsyslog(tmp, Pki(tmp))
        d = Daemon(tmp, f"  log: {{type: syslog, host: 127.0.0.1, port: {rsyslog.ports['tcp']}, "
                        f"transport: tcp}}\n", routes="  - to: [log]\n")
        try:
            for n in range(2):
                status, _, body = d.post({"body": f"message {n}"})
                self.assertEqual(status, 202, body)
                self.assertEqual(len(rsyslog.received("tcp", f"message {n}")), 1)
                if n == 0:
                    rsyslog.stop()
                    rsyslog.start()
        finally:
            d.stop()
            rsyslog.stop()


if __name__ == "__main__":
    unittest.main()
