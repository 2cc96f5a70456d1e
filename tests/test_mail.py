"""Mail on a real SMTP server (aiosmtpd on 127.0.0.1, started and stopped here): an immediate
message for a new red gap to the people who own it, and one digest per owner."""

from __future__ import annotations

import datetime as dt
import email
from collections.abc import Iterator
from email import policy

import pytest
from aiosmtpd.controller import Controller
from api_fixtures import free_port
from conftest import send

from zhengai import assignment, delivery, diagnosis, mail, reports
from zhengai.store import OxigraphStore


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture
def store(sample_2025: OxigraphStore) -> OxigraphStore:
    return sample_2025


PEOPLE = {"T1004": "penghao@college.edu.cn", "T1001": "hanlei@college.edu.cn"}


def test_a_new_red_gap_mails_its_owner_at_once(store: OxigraphStore, smtp: tuple[Sink, int]) -> None:
    sink, port = smtp
    settings = mail.MailSettings("127.0.0.1", port, "zhengai@college.edu.cn", PEOPLE)
    # 510202 meets ZY-1.4.1-02; 10 % turns it red: its owner is XX-01 信息工程学院院长 彭浩 (T1004)
    send(store, [{"indicator": "ZY-1.4.1-02", "subject": "510202", "period": 2025, "value": "10%"}])
    sender = delivery.Deliverer(store, [mail.RedGapMail(settings)])
    assert sender.run_once() == 1
    assert sender.run_once() == 0  # delivered once, not again
    sender.close()
    [(to, message)] = sink.messages
    assert (
        to == ["penghao@college.edu.cn"] and message["Subject"] == "【红色预警 red】2025/ZY-1.4.1-02/510202"
    )
    body = message.get_content()
    assert "低于 C 档线 20%" in body and "XX-01 → XB-01 → DW-01" in body


def test_a_digest_goes_to_each_owner_with_what_they_own(store: OxigraphStore, smtp: tuple[Sink, int]) -> None:
    sink, port = smtp
    settings = mail.MailSettings("127.0.0.1", port, "zhengai@college.edu.cn", PEOPLE)
    run = diagnosis.latest_run(store, 2025)
    assert run is not None
    expected = {n: len(assignment.owned(store, run.graph, person=n) or {}) for n in PEOPLE}
    assert all(expected.values())
    sent = mail.digest(store, settings)
    assert sorted(sent) == sorted((PEOPLE[n], k) for n, k in expected.items())
    by_address = {to[0]: m for to, m in sink.messages}
    assert set(by_address) == set(PEOPLE.values())  # one message per owner
    body = by_address["hanlei@college.edu.cn"].get_content()
    assert f"({expected['T1001']})" in body and "2025/ZY-1.2.1-03/460301" in body


def test_a_relay_that_is_down_leaves_the_mail_to_be_retried(store: OxigraphStore) -> None:
    settings = mail.MailSettings("127.0.0.1", free_port(), "zhengai@college.edu.cn", PEOPLE, timeout=0.5)
    send(store, [{"indicator": "ZY-1.4.1-02", "subject": "510202", "period": 2025, "value": "10%"}])
    sender = delivery.Deliverer(store, [mail.RedGapMail(settings)], max_attempts=1)
    sender.run_once()
    assert sender.dead() == [("mail", 1, 1)]
    sender.close()


def test_a_red_gap_without_a_measure_is_escalated_once_to_the_next_post_up(
    store: OxigraphStore, smtp: tuple[Sink, int]
) -> None:
    sink, port = smtp
    run = diagnosis.latest_run(store, 2025)
    assert run is not None
    owners = {o.id: o for o in assignment.owners(store, run.graph).values()}
    # 2025/ZY-1.2.1-03/460301 is red, owned by ZZ-01 (智能制造学院院长), reporting to XB-01 校长
    owner = owners["2025/ZY-1.2.1-03/460301"]
    assert [p.code for p in owner.escalation[:2]] == ["ZZ-01", "XB-01"]
    principal = owner.escalation[1].holders[0][0]
    settings = mail.MailSettings(
        "127.0.0.1", port, "zhengai@college.edu.cn", {principal: "xiaozhang@college.edu.cn"}
    )
    # found today: not yet 14 days without a measure (unless it persists from 2024: none here, 2025 only)
    assert mail.escalate(store, settings, 14) == []
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=15)
    sent = mail.escalate(store, settings, 14, now=later)
    red_no_measure = {r.id for r in reports.gap_rows(store, run.graph) if r.severity == "red"}
    escalated = {gap for gap, post, to in sent if post == "XB-01"}
    assert "2025/ZY-1.2.1-03/460301" in escalated and escalated <= red_no_measure
    assert all(to == ["xiaozhang@college.edu.cn"] for _, _, to in sent)
    assert len(sink.messages) == len(sent)
    assert mail.escalate(store, settings, 14, now=later) == []  # each gap once
