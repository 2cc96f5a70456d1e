"""Mail: an immediate message for a new red gap to the people who own it, and a digest per owner.

Configured in the subscriptions file (``zhengai serve --subscriptions FILE``)::

    [mail]
    host = "127.0.0.1"            # the campus SMTP relay
    port = 25
    sender = "zhengai@college.edu.cn"

    [mail.people]                 # 工号 → address: who gets what they own
    T1004 = "penghao@college.edu.cn"
    S0005 = "zhenghaibo@college.edu.cn"

The SMTP user and password, when the relay wants them, come from ``ZHENGAI_SMTP_USER`` and
``ZHENGAI_SMTP_PASSWORD``, never from a file or the command line. An immediate mail is a delivery
like a webhook's (``zhengai.delivery``): at least once, retried with backoff, dead after N
attempts, kept in the store. ``zhengai mail --digest`` sends each owner one message listing the
open gaps they own in each period's latest run, grouped by owner, not by indicator.
``zhengai mail --escalate --days N`` tells the next post up the reporting chain about every red gap
that still has no measure N days after its run found it (a gap persisting from the previous period
is that old already); each gap is escalated once, and the store keeps which.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import tomllib
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import PROV, RDF, XSD

from zhengai import assignment, diagnosis, events, lifecycle, query_registry, reports
from zhengai.errors import ZhengaiError
from zhengai.namespaces import ZG, graph, iri
from zhengai.store import GraphStore

ESCALATIONS_GRAPH = graph("escalations")


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 25
    sender: str = "zhengai@localhost"
    people: dict[str, str] = field(default_factory=dict)  # 工号 → address
    timeout: float = 5.0

    def send(self, to: list[str], subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, ", ".join(to), subject
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            user, password = os.environ.get("ZHENGAI_SMTP_USER"), os.environ.get("ZHENGAI_SMTP_PASSWORD")
            if user and password:
                smtp.starttls()
                smtp.login(user, password)
            smtp.send_message(message)


def load_mail(path: Path) -> MailSettings | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")).get("mail")
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ZhengaiError(
            f"无法读取订阅文件「{path}」：{exc}", f"cannot read the subscriptions file '{path}': {exc}"
        ) from exc
    if not data:
        return None
    if not data.get("host"):
        raise ZhengaiError(f"{path.name} [mail]：需要 host", f"{path.name} [mail]: needs a host")
    return MailSettings(
        str(data["host"]), int(data.get("port", 25)), str(data.get("sender", "zhengai@localhost")),
        {str(k): str(v) for k, v in data.get("people", {}).items()},
    )  # fmt: skip


def holders(owner: dict[str, object] | None) -> list[str]:
    """The 工号 of an owner's holders and acting holders (an event's ``owner``)."""
    out: list[str] = []
    for post in (owner or {}).get("posts", []):  # type: ignore[union-attr]
        for person in (*post.get("holders", []), *post.get("acting", [])):
            if person["staff_number"] not in out:
                out.append(person["staff_number"])
    return out


@dataclass(frozen=True)
class RedGapMail:
    """The delivery channel for immediate mail (``zhengai.delivery.Deliverer``): new red gaps."""

    settings: MailSettings
    name: str = "mail"

    def wants(self, event: events.Event) -> bool:
        return event.after == "red" and event.before != "red" and bool(self.recipients(event))

    def recipients(self, event: events.Event) -> list[str]:
        return [self.settings.people[n] for n in holders(event.owner) if n in self.settings.people]

    def send(self, event: events.Event, now: float) -> bool:
        chain = " → ".join(str(p["code"]) for p in (event.owner or {}).get("escalation", []))  # type: ignore[union-attr]
        body = (
            f"{event.message_zh}\n{event.message_en}\n\n"
            f"问题 gap: {event.gap}\n上报链 escalation: {chain or '—'}\n"
            f"记录改进措施 / record a measure: zhengai measure {event.gap} --text … --due … --by 工号\n"
        )
        try:
            self.settings.send(self.recipients(event), f"【红色预警 red】{event.gap}", body)
        except (OSError, smtplib.SMTPException):
            return False
        return True


def digest(store: GraphStore, settings: MailSettings) -> list[tuple[str, int]]:
    """One message per owner with an address: the open gaps they own in each period's latest run.
    Returns (address, number of gaps) for each message sent."""
    latest: dict[int, diagnosis.RunInfo] = {}
    for info in diagnosis.runs(store):
        latest[info.period] = info
    rows_of = {info.graph: {r.id: r for r in reports.gap_rows(store, info.graph)} for info in latest.values()}
    sent = []
    for number, address in sorted(settings.people.items()):
        lines = []
        for _period, info in sorted(latest.items()):
            owned = assignment.owned(store, info.graph, person=number) or {}
            rows = rows_of[info.graph]
            for gap_id in sorted(owned):
                row = rows.get(gap_id)
                if row is not None and row.severity != "closed":
                    lines.append(f"[{row.severity}] {gap_id}  {row.message_zh}")
        if not lines:
            continue
        body = f"您负责的未关闭问题 / the open gaps you own ({len(lines)}):\n\n" + "\n".join(lines) + "\n"
        settings.send([address], f"诊改问题日报 / daily digest: {len(lines)}", body)
        sent.append((address, len(lines)))
    return sent


NO_MEASURE = frozenset({"new", "assigned", "rejected"})  # lifecycle states: nothing being done


def escalate(
    store: GraphStore, settings: MailSettings, days: int, now: dt.datetime | None = None
) -> list[tuple[str, str, list[str]]]:
    """Mail the next post up about each red gap with no measure ``days`` after its run found it;
    returns (gap id, post code, addresses) of each escalation sent."""
    now = now or dt.datetime.now(dt.UTC)
    latest: dict[int, diagnosis.RunInfo] = {}
    for info in diagnosis.runs(store):
        latest[info.period] = info
    done = {str(r["gap"]) for r in store.select(query_registry.get("escalations").text)}
    sent: list[tuple[str, str, list[str]]] = []
    record = Graph()
    for info in latest.values():
        found = dt.datetime.fromisoformat(info.started)
        rows = [r for r in reports.gap_rows(store, info.graph) if r.severity == "red"]
        states = lifecycle.statuses(store, info.graph, rows)
        owners = {o.id: o for o in assignment.owners(store, info.graph).values()}
        for row in rows:
            old_enough = row.status == "persisting" or (now - found) >= dt.timedelta(days=days)
            owner = owners.get(row.id)
            if row.id in done or not old_enough or states[row.id].state not in NO_MEASURE or owner is None:
                continue
            if len(owner.escalation) < 2:
                continue  # nobody above
            up = owner.escalation[1]
            to = [settings.people[n] for n, _ in up.holders if n in settings.people]
            if not to:
                continue
            body = (
                f"{row.message_zh}\n{row.message_en}\n\n"
                f"问题 {row.id} 是红色预警，{days} 天后仍没有改进措施；责任岗位 {owner.posts[0].post.code if owner.posts else '—'}"
                f"，上报给 {up.code} {up.name}。\n"
                f"{row.id} is red and still has no improvement measure after {days} days; escalated to {up.code}.\n"
            )
            settings.send(to, f"【升级 escalated】{row.id}", body)
            node = iri("escalation", row.id)
            record.add((node, RDF.type, ZG.Escalation))
            record.add((node, ZG.escalatedGap, Literal(row.id)))
            record.add((node, ZG.escalatedTo, Literal(up.code)))
            record.add((node, PROV.atTime, Literal(now.isoformat(), datatype=XSD.dateTime)))
            sent.append((row.id, up.code, to))
    if len(record):
        store.insert({ESCALATIONS_GRAPH: record})
    return sent
