#!/usr/bin/python3
"""The mqtt channel against a real broker, Debian's mosquitto, on 127.0.0.1:
a login over TLS (a certificate made by openssl for the test) and without;
QoS 0, 1 and 2 as a subscriber (mosquitto_sub) receives them; a retained
message a later subscriber still gets; the default JSON payload and a
template; a wrong password, an unknown CA and a topic with a wildcard
refused with the reason and the password never shown; a message sent while
the broker is down is retried and delivered once it is up; a peer that never
answers CONNECT, or never PUBACK, fails the attempt at the channel's timeout.

Needs NOTIBUS_BIN and NOTIBUS_BUILD_DIR in the environment, mosquitto,
mosquitto_sub, mosquitto_passwd and openssl.
"""
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from email_test import Pki, free_port

BIN = os.environ["NOTIBUS_BIN"]
PLUGINS = os.path.join(os.environ["NOTIBUS_BUILD_DIR"], "plugins")
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PASSWORD = "pub-secret-4711"


class Mosquitto:
    """A broker with a plain and a TLS listener; users notibus and reader."""

    def __init__(self, directory, pki, port=None):
        self.dir = directory
        self.plain, self.tls = port or free_port(), free_port()
        passwd = os.path.join(directory, "passwd")
        for n, (user, pw) in enumerate((("notibus", PASSWORD), ("reader", "read-secret"))):
            subprocess.run(["mosquitto_passwd", "-b"] + (["-c"] if n == 0 else []) + [passwd, user, pw],
                           check=True, capture_output=True)
        self.conf = os.path.join(directory, "mosquitto.conf")
        with open(self.conf, "w") as f:
            # As root, mosquitto would switch to its own user, who cannot read this directory.
            f.write(f"""user {getpass.getuser()}
allow_anonymous false
password_file {passwd}
persistence false
log_dest stderr
listener {self.plain} 127.0.0.1
listener {self.tls} 127.0.0.1
cafile {pki.ca}
certfile {directory}/server.pem
keyfile {directory}/server.key
""")
        self.start()

    def start(self):
        self.log = open(os.path.join(self.dir, "mosquitto.log"), "a")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf], stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if subprocess.run(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{self.plain}"],
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)
        self.log.close()

    def subscribe(self, topic, count):
        """A subscriber at QoS 2, once its SUBACK came: read() gives (topic, qos, retained, payload)."""
        return Subscriber(self.plain, topic, count)


class Subscriber:
    def __init__(self, port, topic, count):
        self.proc = subprocess.Popen(
            ["stdbuf", "-oL", "mosquitto_sub", "-d", "-h", "127.0.0.1", "-p", str(port), "-u", "reader", "-P",
             "read-secret", "-q", "2", "-t", topic, "-C", str(count), "-W", "20", "-F", "MSG|%t|%q|%r|%p"],
            stdout=subprocess.PIPE, text=True)
        for line in self.proc.stdout:
            if "SUBACK" in line:
                return
        raise RuntimeError("mosquitto_sub did not subscribe")

    def read(self):
        out, _ = self.proc.communicate(timeout=30)
        return [tuple(l[4:].split("|", 3)) for l in out.splitlines() if l.startswith("MSG|")]


class SilentBroker:
    """Accepts connections on 127.0.0.1 and answers at most CONNACK (0x20 0x02
    0x00 0x00, accepted), nothing after it."""

    def __init__(self, connack):
        self.connack = connack
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.peers = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                peer, _ = self.server.accept()
            except OSError:
                return
            self.peers.append(peer)
            if self.connack:
                peer.recv(1024)  # CONNECT
                peer.sendall(bytes([0x20, 0x02, 0x00, 0x00]))

    def __enter__(self):
        return self.server.getsockname()[1]

    def __exit__(self, *args):
        self.server.close()
        for peer in self.peers:
            peer.close()


class MqttTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.pki = Pki(cls.tmp)
        cls.broker = Mosquitto(cls.tmp, cls.pki)

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        shutil.rmtree(cls.tmp)

    def send(self, options, *args, tls=True):
        url = f"mqtts://127.0.0.1:{self.broker.tls}" if tls else f"mqtt://127.0.0.1:{self.broker.plain}"
        cfg = os.path.join(self.tmp, "notibus.yaml")
        with open(cfg, "w") as f:
            f.write(f"""version: 1
plugin_dirs: [{PLUGINS}]
channels:
  iot: {{type: mqtt, url: "{url}", username: notibus, password: "{PASSWORD}", {options}
         retry: {{max_attempts: 1}}}}
routes:
  - to: [iot]
""")
        p = subprocess.run([BIN, "send", "-c", cfg, *args], capture_output=True, text=True, timeout=60)
        self.assertNotIn(PASSWORD, p.stdout + p.stderr)
        return p

    def test_qos_1_over_tls_sends_every_field_as_json(self):
        sub = self.broker.subscribe("alerts/#", 1)
        p = self.send(f'topic: "alerts/{{{{topic}}}}", ca_file: "{self.pki.ca}",', "--topic", "db.disk",
                      "--title", "Disk full", "--priority", "high", "--body", "on db1")
        self.assertEqual(p.returncode, 0, p.stderr)
        (topic, qos, retained, payload), = sub.read()
        self.assertEqual((topic, qos, retained), ("alerts/db.disk", "1", "0"))
        message = json.loads(payload)
        self.assertEqual((message["topic"], message["title"], message["body"], message["priority"]),
                         ("db.disk", "Disk full", "on db1", "high"))

    def test_qos_2_with_a_payload_template(self):
        sub = self.broker.subscribe("notibus/ops", 1)
        p = self.send(f'qos: 2, body: "{{{{title}}}}: {{{{body_text}}}}", ca_file: "{self.pki.ca}",',
                      "--topic", "ops", "--title", "Deploy", "--format", "markdown", "--body", "**done**")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sub.read(), [("notibus/ops", "2", "0", "Deploy: done")])

    def test_qos_0_without_tls_and_a_retained_message(self):
        p = self.send("qos: 0, retain: true,", "--topic", "state", "--body", "green", tls=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        later = self.broker.subscribe("notibus/state", 1)  # subscribed after the publish
        (topic, qos, retained, payload), = later.read()
        self.assertEqual((topic, qos, retained, json.loads(payload)["body"]),
                         ("notibus/state", "0", "1", "green"))

    def test_a_wrong_password_is_refused_for_good(self):
        p = self.send("qos: 1,", "--body", "x", tls=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        cfg = os.path.join(self.tmp, "notibus.yaml")
        with open(cfg) as f:
            text = f.read().replace(PASSWORD, "wrong-password-1")
        with open(cfg, "w") as f:
            f.write(text)
        p = subprocess.run([BIN, "send", "-c", cfg, "--body", "x"], capture_output=True, text=True,
                           timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("the broker refused the connection: not authorized", p.stdout + p.stderr)
        self.assertNotIn("wrong-password-1", p.stdout + p.stderr)

    def test_an_unknown_ca_is_refused(self):
        sub = self.broker.subscribe("notibus/ca", 1)
        p = self.send(f'ca_file: "{self.pki.other_ca}",', "--topic", "ca", "--body", "never")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("cannot connect to the broker: Failure: TCP/TLS connect failure (certificate "
                      "verify failed)", p.stdout + p.stderr)
        sub.proc.kill()
        self.assertEqual(sub.read(), [])

    def test_a_topic_with_a_wildcard_is_refused(self):
        p = self.send('topic: "alerts/{{topic}}",', "--topic", "a+b", "--body", "x", tls=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('the topic "alerts/a+b" holds + # or NUL', p.stdout + p.stderr)
        # Made from the message, it is quoted escaped: a line break cannot forge a log line.
        p = self.send('topic: "alerts/{{attributes.k}}",', "--attr", "k=x+y\ninjected", "--body", "x",
                      tls=False)
        self.assertIn('the topic "alerts/x+y\\ninjected" holds', p.stdout + p.stderr)
        self.assertNotIn("\ninjected", p.stdout + p.stderr)


class MqttDaemonTest(unittest.TestCase):
    """QoS 1: delivered only once the broker confirmed; a broker that is down
    gets the message when it is back, and one that restarted is reconnected to."""

    def test_a_broker_that_stops_answering_fails_the_attempt_at_the_timeout(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        # A TCP peer that never sends CONNACK, then one that sends CONNACK but
        # never PUBACK: each attempt ends at the channel's timeout, reported
        # by the channel's deadline sweep (asleep while nothing waits).
        for connack, expected in ((False, "not connected to the broker within 1 s"),
                                  (True, "no confirmation from the broker within 1 s")):
            with SilentBroker(connack) as port:
                cfg = os.path.join(self.tmp, "silent.yaml")
                with open(cfg, "w") as f:
                    f.write(f"""version: 1
plugin_dirs: [{PLUGINS}]
channels:
  iot: {{type: mqtt, url: "mqtt://127.0.0.1:{port}", qos: 1, timeout: 1s,
         retry: {{max_attempts: 1}}}}
routes:
  - to: [iot]
""")
                started = time.monotonic()
                p = subprocess.run([BIN, "send", "-c", cfg, "--body", "x"], capture_output=True,
                                   text=True, timeout=60)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn(expected, p.stdout + p.stderr)
                self.assertLess(time.monotonic() - started, 20)

    def test_nothing_is_lost_while_the_broker_is_down(self):
        from daemon_test import Daemon
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        pki = Pki(tmp)
        port = free_port()
        d = Daemon(tmp, f'  iot: {{type: mqtt, url: "mqtt://127.0.0.1:{port}", username: notibus, '
                        f'password: "{PASSWORD}", timeout: 2s, '
                        'retry: {initial_backoff: 200ms, max_backoff: 500ms, max_attempts: 50}}\n',
                   routes="  - to: [iot]\n")
        broker = None
        try:
            status, _, reply = d.post({"topic": "t", "body": "while down"})
            self.assertEqual(status, 202, reply)
            time.sleep(1)
            _, _, data = d.request("GET", f"/v1/messages/{reply['id']}")
            channel = json.loads(data)["channels"][0]
            self.assertNotEqual(channel["state"], "delivered", channel)
            self.assertGreaterEqual(channel["attempts"], 2, channel)
            self.assertIn("cannot connect to the broker", channel["last_error"])
            broker = Mosquitto(tmp, pki, port=port)
            sub = broker.subscribe("notibus/#", 1)
            deadline = time.time() + 15
            while time.time() < deadline:
                _, _, data = d.request("GET", f"/v1/messages/{reply['id']}")
                if json.loads(data)["channels"][0]["state"] == "delivered":
                    break
                time.sleep(0.1)
            self.assertEqual([json.loads(m[3])["body"] for m in sub.read()], ["while down"])
            broker.stop()
            broker.start()  # the kept connection is gone: the next message connects again
            sub2 = broker.subscribe("notibus/#", 1)
            status, _, reply = d.post({"topic": "t", "body": "after a restart"})
            self.assertEqual(status, 202, reply)
            self.assertEqual([json.loads(m[3])["body"] for m in sub2.read()], ["after a restart"])
            self.assertNotIn(PASSWORD, d.logs())
        finally:
            d.stop()
            if broker:
                broker.stop()


if __name__ == "__main__":
    unittest.main()
