#!/usr/bin/python3
"""Several `notibus serve` instances on one JetStream queue (issue #15).

A real 3-node nats-server cluster (JetStream, R3) and three instances with a
signed webhook channel to a counting receiver. Clients post MESSAGES messages
with idempotency keys through all three (re-posting to the next instance
after a failed request, as a real client would). Meanwhile two instances are
killed with SIGKILL (and restarted) and one NATS node, the one leading the
shared consumer, is killed (and restarted). Then:
  - every accepted message reached the receiver: 0 lost;
  - duplicates are bounded (by what the killed instances held) and each
    message is there once after dedup by webhook-id;
  - GET /v1/messages/{id} answers the same on every instance;
  - a dead letter is visible from every instance and `notibus dead-letters`;
  - a send longer than ack_wait on a live instance stays with it (InProgress);
  - takeover: an instance killed while holding (slow) deliveries: another
    instance delivers them after ack_wait;
  - 429 with Retry-After: the message goes back to JetStream until then
    (NakWithDelay) and is delivered afterwards, its attempts counted on;
  - the broker going away: 503 + Retry-After on ingest; deliveries resume.

  queue_cluster_test.py [MESSAGES]     (default 10000)
"""
import os
import sys
import tempfile
import threading
import time
import subprocess

from queue_lib import BIN, Instance, NatsCluster, Receiver, wait_until

MESSAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
CLIENTS = 8
ACK_WAIT = 3


def post_all(instances, accepted, failures):
    """Clients post m0..m{MESSAGES-1}; each key until some instance accepts it."""
    next_index = [0]
    lock = threading.Lock()

    def client(c):
        target = c
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= MESSAGES:
                return
            body = {"topic": "api", "title": f"m{i}", "body": "cluster test", "idempotency_key": f"m{i}"}
            for attempt in range(600):
                inst = instances[target % len(instances)]
                try:
                    status, answer, _ = inst.request("POST", "/v1/messages", body, timeout=10)
                except OSError:
                    status, answer = None, None
                if status in (200, 202):
                    with lock:
                        accepted[f"m{i}"] = answer["id"]
                    break
                with lock:
                    failures[status] = failures.get(status, 0) + 1
                target += 1  # the next instance
                time.sleep(0.05)
            else:
                raise AssertionError(f"m{i} was never accepted")

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    return threads


def chaos(cluster, instances, accepted, log):
    """Kill -9 two instances and one NATS node at points of the run; restart them."""
    def at(fraction):
        wait_until(f"{fraction:.0%} accepted", lambda: len(accepted) >= MESSAGES * fraction, 600)

    at(0.15)
    log.append("kill -9 instance a")
    instances[0].kill()
    time.sleep(1)
    instances[0].start()
    at(0.35)
    # The node leading the shared consumer: the harshest one to lose.
    node = cluster.consumer_leader()
    node = 1 if node is None else node
    log.append(f"kill -9 nats node {node} (the consumer's leader)")
    cluster.kill(node)
    at(0.55)
    log.append(f"restart nats node {node}")
    cluster.start(node)
    at(0.7)
    log.append("kill -9 instance b")
    instances[1].kill()
    time.sleep(1)
    instances[1].start()


def main():
    tmp = tempfile.mkdtemp(prefix="notibus-queue-")
    cluster = NatsCluster(tmp, 3)
    cluster.start()
    cluster.wait_healthy()
    receiver = Receiver(slow_seconds=ACK_WAIT * 3)
    instances = [Instance(tmp, name, cluster.urls, receiver.port, 3, ack_wait=f"{ACK_WAIT}s")
                 for name in ("a", "b", "c")]
    try:
        for inst in instances:
            inst.start()

        # --- 10,000 messages through all three, with kills ---------------------
        accepted, failures, events = {}, {}, []
        started = time.monotonic()
        clients = post_all(instances, accepted, failures)
        chaos_thread = threading.Thread(target=chaos, args=(cluster, instances, accepted, events))
        chaos_thread.start()
        for t in clients:
            t.join()
        chaos_thread.join()
        post_seconds = time.monotonic() - started
        ids = set(accepted.values())
        try:
            wait_until("every accepted message delivered",
                       lambda: ids <= set(receiver.snapshot()), timeout=180, every=0.5)
        except AssertionError:
            missing = sorted(ids - set(receiver.snapshot()))
            print(f"{len(missing)} not delivered, e.g. {missing[:3]}")
            for inst in instances:
                print(inst.name, [inst.request("GET", f"/v1/messages/{m}")[:2] for m in missing[:2]])
                print(inst.name, {k: inst.metric(k) for k in ("notibus_queue_held_messages",
                      "notibus_queue_consumer_pending_messages", "notibus_queue_consumer_ack_pending_messages",
                      "notibus_queue_fetched_total", "notibus_queue_acked_total")})
            raise
        counts = receiver.snapshot()
        lost = len(ids - set(counts))
        duplicates = sum(counts[i] - 1 for i in ids)
        strangers = set(counts) - ids
        print(f"{MESSAGES} posted in {post_seconds:.1f}s through 3 instances ({'; '.join(events)}); "
              f"refused/failed requests by status: {failures}; "
              f"delivered {len(ids)}, lost {lost}, duplicates {duplicates}")
        assert len(accepted) == MESSAGES
        assert len(ids) == MESSAGES, f"{MESSAGES - len(ids)} keys answered with a repeated id"
        assert lost == 0, f"{lost} accepted messages never delivered"
        assert not strangers, f"deliveries of messages never accepted: {list(strangers)[:5]}"
        # At least once: a kill may repeat what the instance held (max_held 200
        # each), and a consumer fail-over what all three held and had in
        # flight at that moment; never more than that.
        assert duplicates <= 3 * 200 + 100, f"{duplicates} duplicates"

        # --- the same status from every instance --------------------------------
        sample = sorted(ids)[:: max(1, len(ids) // 20)]
        for mid in sample:
            answers = set()
            for inst in instances:
                status, report, _ = inst.request("GET", f"/v1/messages/{mid}")
                assert status == 200, (inst.name, mid, status, report)
                assert report["delivered"] and report["finished"], report
                answers.add((report["channels"][0]["channel"], report["channels"][0]["state"]))
            assert answers == {("hook", "delivered")}, answers

        # --- an application's bus publishing into the queue (`notibus send`) ---
        sent = subprocess.run([BIN, "send", "-c", instances[0].config, "--topic", "api", "--title",
                               "from the CLI", "--body", "x"], capture_output=True, text=True, timeout=60)
        assert sent.returncode == 0 and "stored in the shared queue" in sent.stdout, (sent.stdout, sent.stderr)
        sent_id = sent.stdout.split()[1]
        wait_until("the CLI's message delivered", lambda: receiver.snapshot()[sent_id] >= 1, 30)

        # --- a dead letter, seen from everywhere --------------------------------
        status, answer, _ = instances[0].request(
            "POST", "/v1/messages", {"topic": "api", "title": "doomed", "body": "x", "channels": ["dead"]})
        assert status == 202, (status, answer)
        dead_id = answer["id"]
        for inst in instances:
            wait_until(f"dead letter on {inst.name}", lambda inst=inst: any(
                d["id"] == dead_id for d in inst.request("GET", "/v1/dead-letters")[1]["dead_letters"]), 30)
        listed = subprocess.run([BIN, "dead-letters", "list", "-c", instances[2].config],
                                capture_output=True, text=True, timeout=60)
        assert listed.returncode == 0 and dead_id in listed.stdout, (listed.stdout, listed.stderr)
        # Retried from another instance: delivered to `dead` again (fails again:
        # a new dead letter), the first is gone everywhere.
        status, answer, _ = instances[1].request("POST", f"/v1/dead-letters/{dead_id}/retry")
        assert status in (200, 202), (status, answer)
        wait_until("the retried dead letter gone", lambda: all(
            all(d["id"] != dead_id for d in inst.request("GET", "/v1/dead-letters")[1]["dead_letters"])
            for inst in instances), 30)
        copy_id = answer["id"]  # fails on `dead` again: a dead letter of its own
        wait_until("the copy's dead letter", lambda: any(
            d["id"] == copy_id for d in instances[2].request("GET", "/v1/dead-letters")[1]["dead_letters"]), 30)
        purged = subprocess.run([BIN, "dead-letters", "purge", "-c", instances[0].config, "--all"],
                                capture_output=True, text=True, timeout=60)
        assert purged.returncode == 0 and f"{copy_id}: purged" in purged.stdout, (purged.stdout, purged.stderr)
        for inst in instances:
            assert inst.request("GET", "/v1/dead-letters")[1]["dead_letters"] == [], inst.name
        print("dead letters: seen from every instance and the CLI, retried through one, purged by the CLI")

        # --- 429 + Retry-After: back to the queue until then (NakWithDelay) -----
        status, answer, _ = instances[0].request(
            "POST", "/v1/messages", {"topic": "later", "title": "later", "body": Receiver.RETRY_MARK.decode()})
        assert status == 202, (status, answer)
        later_id = answer["id"]
        asked = time.monotonic()
        wait_until("the deferred message delivered", lambda: receiver.snapshot()[later_id] >= 1, 30)
        waited = time.monotonic() - asked
        assert waited >= 1.9, f"delivered again after {waited:.1f}s, before the Retry-After"
        deferred = sum(inst.metric("notibus_queue_deferred_total") or 0 for inst in instances)
        assert deferred >= 1, deferred
        wait_until("its report final", lambda: instances[1].request("GET", f"/v1/messages/{later_id}")[1].get("finished"), 10)
        report = instances[1].request("GET", f"/v1/messages/{later_id}")[1]
        assert report["channels"][0]["attempts"] == 2 and report["delivered"], report
        print(f"429 with Retry-After: 2: handed back to the queue, delivered after {waited:.1f}s, 2 attempts")

        # --- a long send (3 x ack_wait) on a live instance: kept (InProgress) --
        status, answer, _ = instances[1].request(
            "POST", "/v1/messages", {"topic": "slow", "title": "long", "body": Receiver.SLOW_MARK.decode()})
        assert status == 202, (status, answer)
        long_id = answer["id"]
        wait_until("the long send delivered", lambda: receiver.snapshot()[long_id] >= 1, ACK_WAIT * 6)
        assert receiver.started[long_id] == 1, f"started {receiver.started[long_id]} times: taken over while alive"
        print(f"a send of {ACK_WAIT * 3}s (ack_wait {ACK_WAIT}s) on a live instance: kept by it, sent once")

        # --- takeover: an instance dies holding deliveries ----------------------
        instances[0].stop()
        instances[1].stop()
        slow_ids = []
        for k in range(5):
            status, answer, _ = instances[2].request(
                "POST", "/v1/messages", {"topic": "slow", "title": f"slow {k}", "body": Receiver.SLOW_MARK.decode()})
            assert status == 202, (status, answer)
            slow_ids.append(answer["id"])
        wait_until("c holds the slow deliveries", lambda: all(receiver.started[i] >= 1 for i in slow_ids), 30)
        instances[2].kill()  # mid-delivery: nothing acked
        instances[0].start()
        instances[1].start()
        wait_until("the held deliveries taken over", lambda: all(receiver.snapshot()[i] >= 1 for i in slow_ids),
                   timeout=ACK_WAIT * 10)
        taken = sum(inst.metric("notibus_queue_redelivered_total") or 0 for inst in instances[:2])
        assert taken >= len(slow_ids), f"redelivered_total {taken}"
        print(f"takeover: {len(slow_ids)} deliveries held by a killed instance were delivered by the others "
              f"(redelivered_total {taken:.0f})")
        instances[2].start()

        # --- the broker goes away, and comes back -------------------------------
        cluster.stop_all()
        wait_until("503 while the broker is away", lambda: instances[0].request(
            "POST", "/v1/messages", {"topic": "api", "title": "t", "body": "x"})[0] == 503, 30)
        status, answer, headers = instances[0].request("POST", "/v1/messages", {"topic": "api", "title": "t", "body": "x"})
        assert status == 503 and answer["error"] == "queue_unavailable" and "Retry-After" in headers, (status, answer)
        cluster.start()
        cluster.wait_healthy()
        resumed = []

        def accepted_again():
            status, answer, _ = instances[0].request("POST", "/v1/messages", {"topic": "api", "title": "back", "body": "x"})
            if status == 202:
                resumed.append(answer["id"])
            return status == 202

        wait_until("ingest back after the broker returns", accepted_again, 60, every=0.5)
        wait_until("delivery after the broker returns", lambda: receiver.snapshot()[resumed[0]] >= 1, 60)
        print("broker away: 503 queue_unavailable with Retry-After; back: accepted and delivered")
        print("queue cluster test passed")
    finally:
        for inst in instances:
            inst.kill()
        cluster.stop_all()


if __name__ == "__main__":
    main()
