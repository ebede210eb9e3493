#!/usr/bin/python3
"""Bad input for the shared queue (issue #15), against a real nats-server:
clear errors at start-up, naming the file and key, never a secret.
  - `spool` and `queue` together, a URL that is not nats://: `notibus check`;
  - no server at the address;
  - credentials the server refuses (also inside a URL), and the right ones;
  - a stream or consumer that exists with other settings;
  - TLS: a server whose certificate is not trusted is refused (verification
    on); trusted through queue.tls.ca, it works.
"""
import os
import subprocess
import tempfile

from queue_lib import BIN, Instance, NatsCluster, Receiver, free_port, instance_config

SECRET = "wrong-pa55word-do-not-echo"


def run(*args, timeout=60):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)


def expect_failure(config, *needles, command="serve", absent=()):
    r = run(command, "-c", config)
    out = r.stdout + r.stderr
    assert r.returncode != 0, f"{config} was accepted:\n{out}"
    for n in needles:
        assert n in out, f"{n!r} not in:\n{out}"
    for a in absent:
        assert a not in out, f"{a!r} shown in:\n{out}"
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="notibus-queue-errors-")
    receiver = Receiver()
    config = os.path.join(tmp, "bad.yaml")

    # Checked with the rest of the file.
    instance_config(config, free_port(), ["nats://127.0.0.1:4222"], receiver.port, 1,
                    extra_queue="spool: {dir: " + tmp + "/spool}")
    # (the spool line lands at the top level: `spool` and `queue` together)
    out = expect_failure(config, "bad.yaml:", "`spool` and `queue` are exclusive", command="check")
    print("spool and queue:", out.strip().splitlines()[0])
    instance_config(config, free_port(), ["http://u:" + SECRET + "@127.0.0.1:4222"], receiver.port, 1)
    out = expect_failure(config, "queue.servers", "is not a nats:// or tls:// URL", command="check",
                         absent=[SECRET])
    print("bad URL:", out.strip().splitlines()[0])

    # Nothing listens there.
    nobody = f"nats://127.0.0.1:{free_port()}"
    instance_config(config, free_port(), [nobody], receiver.port, 1)
    out = expect_failure(config, "bad.yaml", "queue.servers", "cannot connect to " + nobody)
    print("no server:", out.strip().splitlines()[-1])

    nats = NatsCluster(tmp, 1, extra=f'authorization {{ user: notibus, password: "right-password" }}')
    nats.start()
    nats.wait_healthy()
    try:
        url = nats.urls[0]
        instance_config(config, free_port(), [url], receiver.port, 1,
                        extra_queue=f"  user: notibus\n  password: {SECRET}")
        out = expect_failure(config, "queue.servers", "refused the credentials", absent=[SECRET])
        print("refused credentials:", out.strip().splitlines()[-1])
        in_url = url.replace("nats://", f"nats://notibus:{SECRET}@")
        instance_config(config, free_port(), [in_url], receiver.port, 1)
        out = expect_failure(config, "refused the credentials", "<redacted>@", absent=[SECRET])

        # The right credentials: it starts, creating the stream (R1, 2m window).
        good = Instance(tmp, "good", [url], receiver.port, 1,
                        extra_queue="  user: notibus\n  password: right-password")
        good.start()
        status, answer, _ = good.request("POST", "/v1/messages", {"topic": "api", "title": "t", "body": "x"})
        assert status == 202, (status, answer)
        good.stop()

        creds = "  user: notibus\n  password: right-password"
        instance_config(config, free_port(), [url], receiver.port, 3, extra_queue=creds)
        out = expect_failure(config, "queue.stream", 'stream "NOTIBUS" exists with other settings',
                             "it has 1 replicas, the config says 3")
        print("stream mismatch:", out.strip().splitlines()[-1])
        instance_config(config, free_port(), [url], receiver.port, 1,
                        extra_queue=creds + "\n  idempotency_window: 5m")
        expect_failure(config, "its duplicate window is 120000 ms")
        instance_config(config, free_port(), [url], receiver.port, 1, ack_wait="9s", extra_queue=creds)
        out = expect_failure(config, "queue.consumer", 'consumer "notibus" exists with other settings',
                             "its ack_wait is 3000 ms, the config says 9000 ms")
        print("consumer mismatch:", out.strip().splitlines()[-1])
    finally:
        nats.stop_all()

    # TLS, with certificates made now: a CA and a server certificate for 127.0.0.1.
    ca_key, ca, key, csr, cert = (os.path.join(tmp, f) for f in ("ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem"))
    ext = os.path.join(tmp, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for cmd in (["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
                 "-days", "1", "-subj", "/CN=notibus test CA"],
                ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
                ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
                 "-days", "1", "-extfile", ext]):
        subprocess.run(cmd, check=True, capture_output=True)
    os.makedirs(tmp + "/tls")
    secure = NatsCluster(tmp + "/tls", 1, extra=f'tls {{ cert_file: "{cert}", key_file: "{key}" }}')
    secure.start()
    secure.wait_healthy()
    try:
        url = secure.urls[0].replace("nats://", "tls://")
        instance_config(config, free_port(), [url], receiver.port, 1)
        out = expect_failure(config, "queue.servers", "cannot connect to " + url)
        print("untrusted certificate:", out.strip().splitlines()[-1])
        trusted = Instance(tmp, "trusted", [url], receiver.port, 1, extra_queue=f"  tls: {{ca: {ca}}}")
        trusted.start()
        status, answer, _ = trusted.request("POST", "/v1/messages", {"topic": "api", "title": "t", "body": "x"})
        assert status == 202, (status, answer)
        trusted.stop()
        print("trusted through queue.tls.ca: accepted")
    finally:
        secure.stop_all()
    print("queue errors test passed")


if __name__ == "__main__":
    main()
