"""Webhooks on a real receiver (an HTTP server on 127.0.0.1, started and stopped here): signed,
at least once, retried with backoff, dead after N failures, resumed after a restart."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import load_sample, send
from rdflib import Literal
from webhook_receiver import Receiver

from zhengai import delivery, diagnosis
from zhengai.store import OxigraphStore

SECRET = "s3cret"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail=0.3)
    yield r
    r.close()


@pytest.fixture
def store(sample_2025: OxigraphStore) -> OxigraphStore:
    return sample_2025


def pushes(store: OxigraphStore, n: int) -> None:
    """n pushes that each change 510202's ZY-1.4.1-02 (red, then met, and so on): n events."""
    for i in range(n):
        send(store, [{"indicator": "ZY-1.4.1-02", "subject": "510202", "period": 2025,
                      "value": "10%" if i % 2 == 0 else "95%", "observed_at": f"2026-03-{i + 1:02d}"}])  # fmt: skip


def test_every_event_arrives_signed_at_least_once_through_a_failing_receiver(
    store: OxigraphStore, receiver: Receiver
) -> None:
    pushes(store, 10)
    subs = [delivery.Subscription("信息工程学院", receiver.url, SECRET, unit="信息工程学院")]
    now = [1_000_000.0]
    deliverer = delivery.Deliverer(store, subs, max_attempts=20, backoff=1.0, clock=lambda: now[0])
    for _ in range(200):
        deliverer.run_once()
        now[0] += 60  # past every backoff
        if all(s.done for s in deliverer.states.values()) and len(deliverer.states) == 10:
            break
    deliverer.close()
    accepted = {seq for seq, _, _, ok in receiver.received if ok}
    assert accepted == set(range(1, 11))  # none lost
    assert len(receiver.received) > 10  # some were refused and sent again
    assert not deliverer.dead()
    for (seq, body, signature, _), raw in zip(receiver.received, receiver.bodies, strict=True):
        at, v1 = (part.split("=", 1)[1] for part in signature.split(","))
        expected = hmac.new(SECRET.encode(), f"{at}.".encode() + raw, hashlib.sha256).hexdigest()
        assert v1 == expected and body["seq"] == seq


def test_a_receiver_that_is_down_gives_dead_letters_that_can_be_retried_after_a_restart(
    store: OxigraphStore, receiver: Receiver
) -> None:
    pushes(store, 2)
    down = delivery.Subscription("down", "http://127.0.0.1:9/hook", SECRET, role="quality_office")
    now = [1_000_000.0]
    first = delivery.Deliverer(store, [down], max_attempts=3, backoff=1.0, timeout=0.5, clock=lambda: now[0])
    for _ in range(5):
        first.run_once()
        now[0] += 10
    assert [(name, seq, attempts) for name, seq, attempts in first.dead()] == [("down", 1, 3), ("down", 2, 3)]
    first.close()
    # a restart reads the outbox: the dead letters are still there; sent again to a receiver that is up
    receiver.fail = 0.0
    up = delivery.Subscription("down", receiver.url, SECRET, role="quality_office")
    again = delivery.Deliverer(store, [up], clock=lambda: now[0])
    assert [seq for _, seq, _ in again.dead()] == [1, 2]
    assert again.retry_dead() == 2
    again.run_once()
    assert sorted(seq for seq, _, _, ok in receiver.received if ok) == [1, 2] and not again.dead()
    again.close()
    # and a third start has nothing left to send
    third = delivery.Deliverer(store, [up], clock=lambda: now[0])
    assert third.run_once() == 0
    third.close()


def test_subscriptions_take_only_what_they_may_see(store: OxigraphStore, receiver: Receiver) -> None:
    receiver.fail = 0.0
    pushes(store, 1)  # 510202 is 信息工程学院's (post XX-01, 彭浩 T1004)
    subs = [
        delivery.Subscription("xx", receiver.url + "?xx", SECRET, unit="信息工程学院"),
        delivery.Subscription("zz", receiver.url + "?zz", SECRET, unit="智能制造学院"),
        delivery.Subscription("head", receiver.url + "?head", SECRET, person="T1004"),
        delivery.Subscription("post", receiver.url + "?post", SECRET, post="XX-01"),
    ]
    d = delivery.Deliverer(store, subs)
    assert d.run_once() == 3  # not 智能制造学院
    d.close()


def test_the_cli_lists_and_retries_dead_deliveries(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from zhengai.cli import app

    path = tmp_path / "store"
    with OxigraphStore(path) as s:
        load_sample(s)
        diagnosis.diagnose(s, 2025)
        pushes(s, 1)
        down = delivery.Subscription("office", "http://127.0.0.1:9/hook", SECRET, role="quality_office")
        d = delivery.Deliverer(s, [down], max_attempts=1, timeout=0.5)
        d.run_once()
        d.close()
    runner = CliRunner()
    listed = runner.invoke(app, ["--store", str(path), "events", "--dead"])
    assert listed.exit_code == 0 and "office  事件 event #1  尝试 attempts 1" in listed.output, listed.output
    retried = runner.invoke(app, ["--store", str(path), "events", "--retry"])
    assert "queued again: 1" in retried.output
    assert "0 个投递已放弃" in runner.invoke(app, ["--store", str(path), "events", "--dead"]).output


@pytest.mark.slow
def test_the_server_sends_a_pushed_red_value_to_the_webhook(tmp_path: Path) -> None:
    """zhengai serve with a subscriptions file: a push over HTTP reaches the receiver, signed."""
    import time

    import httpx
    from api_fixtures import TOKENS, build_store, serving

    receiver = Receiver(fail=0.3)
    try:
        path = build_store(tmp_path)
        hooks = tmp_path / "hooks.toml"
        hooks.write_text(
            f'[[subscription]]\nname = "质量管理处"\nurl = "{receiver.url}"\nsecret = "{SECRET}"\nrole = "quality_office"\n',
            encoding="utf-8",
        )
        env = {
            "ZHENGAI_TOKENS": f"quality_office:{TOKENS['quality_office']}",
            "ZHENGAI_SUBSCRIPTIONS_FILE": str(hooks),
        }
        with serving(path, env) as base:
            item = {"indicator": "ZY-1.4.1-03", "subject": "460301", "period": 2025, "value": "5%"}
            headers = {"Authorization": f"Bearer {TOKENS['quality_office']}"}
            assert (
                httpx.post(base + "/observations", json=item, headers=headers, timeout=30).status_code == 201
            )
            deadline = time.monotonic() + 30
            while not any(ok for _, _, _, ok in receiver.received) and time.monotonic() < deadline:
                time.sleep(0.1)
        delivered = [(seq, body) for seq, body, _, ok in receiver.received if ok]
        assert [(body["gap"], body["after"]) for _, body in delivered] == [("2025/ZY-1.4.1-03/460301", "red")]
        first, raw = next((r, b) for r, b in zip(receiver.received, receiver.bodies, strict=True) if r[3])
        at, v1 = (part.split("=", 1)[1] for part in first[2].split(","))
        assert v1 == hmac.new(SECRET.encode(), f"{at}.".encode() + raw, hashlib.sha256).hexdigest()
    finally:
        receiver.close()


@pytest.mark.slow
def test_a_subscription_registered_over_the_api_survives_a_killed_server(tmp_path: Path) -> None:
    """POST /subscriptions registers a webhook (its secret in the answer only, never in the store);
    the server is killed with SIGKILL while the receiver refuses every delivery; restarted, it
    resumes from the outbox and delivers the event, signed with the same secret."""
    import os
    import signal
    import time

    import httpx
    from api_fixtures import TOKENS, build_store, serving

    receiver = Receiver(fail=1.0)
    try:
        path = build_store(tmp_path)
        env = {
            "ZHENGAI_TOKENS": f"quality_office:{TOKENS['quality_office']};unit_head:{TOKENS['unit_head']}:信息工程学院"
        }
        office = {"Authorization": f"Bearer {TOKENS['quality_office']}"}
        head = {"Authorization": f"Bearer {TOKENS['unit_head']}"}
        hook = {"name": "质量管理处", "url": receiver.url, "role": "quality_office"}
        with serving(path, env) as base:
            made = httpx.post(base + "/subscriptions", json=hook, headers=office, timeout=30)
            assert made.status_code == 201, made.text
            secret = made.json()["secret"]
            assert (
                httpx.post(base + "/subscriptions", json=hook, headers=office, timeout=30).status_code == 409
            )
            two = {**hook, "name": "x", "unit": "信息工程学院"}
            assert (
                httpx.post(base + "/subscriptions", json=two, headers=office, timeout=30).status_code == 422
            )
            other = {"name": "y", "url": receiver.url, "unit": "机电工程学院"}
            assert (
                httpx.post(base + "/subscriptions", json=other, headers=head, timeout=30).status_code == 403
            )
            own = {"name": "信息工程学院", "url": receiver.url, "unit": "信息工程学院"}
            assert httpx.post(base + "/subscriptions", json=own, headers=head, timeout=30).status_code == 201
            listed = httpx.get(base + "/subscriptions", headers=head, timeout=30).json()
            assert [s["name"] for s in listed] == ["信息工程学院"] and all(
                s["secret"] is None for s in listed
            )
            assert (
                httpx.delete(base + "/subscriptions/信息工程学院", headers=head, timeout=30).status_code
                == 204
            )
            item = {"indicator": "ZY-1.4.1-03", "subject": "460301", "period": 2025, "value": "5%"}
            assert (
                httpx.post(base + "/observations", json=item, headers=office, timeout=30).status_code == 201
            )
            deadline = time.monotonic() + 30
            while not receiver.received and time.monotonic() < deadline:
                time.sleep(0.05)
            assert receiver.received, "no delivery was attempted"
            os.killpg(base.process.pid, signal.SIGKILL)  # type: ignore[attr-defined]
            base.process.wait(timeout=10)  # type: ignore[attr-defined]
        assert not any(ok for *_, ok in receiver.received)
        with OxigraphStore(path) as store:  # the secret is nowhere in the store
            assert not store.ask(
                "# bind: inline\nASK WHERE { GRAPH ?g { ?s ?p ?o FILTER (CONTAINS(STR(?o), ?secret)) } }",
                {"secret": Literal(secret)},
            )
        receiver.fail = 0.0
        with serving(path, env) as base:
            deadline = time.monotonic() + 60
            while not any(ok for *_, ok in receiver.received) and time.monotonic() < deadline:
                time.sleep(0.1)
        delivered = [(r, b) for r, b in zip(receiver.received, receiver.bodies, strict=True) if r[3]]
        assert [(r[1]["gap"], r[1]["after"]) for r, _ in delivered] == [("2025/ZY-1.4.1-03/460301", "red")]
        first, raw = delivered[0]
        at, v1 = (part.split("=", 1)[1] for part in first[2].split(","))
        assert v1 == hmac.new(secret.encode(), f"{at}.".encode() + raw, hashlib.sha256).hexdigest()
    finally:
        receiver.close()
