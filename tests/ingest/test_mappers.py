"""Vendor payload → kpiwatch events, from the published samples (tables)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from stream.config.ingest import ConnectIngest, Ingest, TwilioIngest, ZendeskIngest
from stream.ingest.connect import map_connect
from stream.ingest.firehose import unwrap
from stream.ingest.generic import split_events
from stream.ingest.mapping import Unmappable, rfc3339
from stream.ingest.twilio import map_taskrouter
from stream.ingest.zendesk import map_zendesk
from tests.ingest.helpers import INGEST, fixture

CFG = Ingest.model_validate(INGEST)
ZD: ZendeskIngest = CFG.zendesk  # type: ignore[assignment]
TW: TwilioIngest = CFG.twilio  # type: ignore[assignment]
WORKER = fixture("twilio", "worker_activity_update")["WorkerSid"]
CN: ConnectIngest = CFG.connect  # type: ignore[assignment]


def _events(records: list[Any]) -> list[dict[str, Any]]:
    return [{"_key": r.key, "_stream": r.stream, **orjson.loads(r.value)} for r in records]


ZENDESK = [
    (
        "ticket_created",
        {
            "type": "ticket.created",
            "queue": "billing",
            "channel": "api",
            "priority": "low",
            "customer_id": "zendesk:8447388090494",
            "tags": ["tag_1", "tag_2"],
        },
    ),
    ("ticket_status_changed", {"type": "ticket.status_changed", "status": "solved"}),
    ("ticket_priority_changed", {"type": "ticket.updated", "priority": "urgent"}),
    ("ticket_group_assignment_changed", {"type": "ticket.updated", "queue": "tech"}),
    (
        "ticket_agent_assignment_changed",
        {"type": "ticket.assigned", "agent_id": "zendesk:8447388090495"},
    ),
    ("ticket_comment_added", {"type": "ticket.replied", "author": "agent", "public": True}),
]


@pytest.mark.parametrize(("name", "expected"), ZENDESK, ids=[z[0] for z in ZENDESK])
def test_zendesk_samples_map_to_ticket_events(name: str, expected: dict[str, Any]) -> None:
    payload = fixture("zendesk", name)
    (event,) = _events(map_zendesk(payload, ZD))
    assert event.items() >= expected.items()
    assert event["_stream"] == "tickets"
    assert event["_key"] == event["ticket_id"] == "zendesk:5158"
    assert event["event_id"] == "zendesk:" + payload["id"]
    assert event["occurred_at"] == "2099-07-04T05:33:18.607217+00:00"


def test_zendesk_ignores_ticket_events_without_kpi_meaning() -> None:
    assert map_zendesk(fixture("zendesk", "ticket_tags_changed"), ZD) == []


def _zd(name: str, **changes: Any) -> dict[str, Any]:
    payload = fixture("zendesk", name)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = payload
        for p in parents:
            node = node[p]
        node[leaf] = value
    return payload


ZENDESK_BAD = [
    (_zd("ticket_created", detail__group_id="999"), "group_id '999' is not in ingest.zendesk"),
    (_zd("ticket_created", detail__priority="CRITICAL"), "priority 'CRITICAL' is not in"),
    (_zd("ticket_created", type="zen:event-type:user.created"), "not a Zendesk ticket event"),
    (_zd("ticket_created", time="yesterday"), "time: not a timestamp"),
    (_zd("ticket_created", time="2026-01-05T10:00:00"), "time: timestamp without offset"),
    (_zd("ticket_created", id=None), "id: field required"),
    (_zd("ticket_status_changed", event__current="WAITING"), "unknown ticket status 'WAITING'"),
    (_zd("ticket_comment_added", event__comment={"body": "x"}), "author.is_staff: field required"),
]


@pytest.mark.parametrize(("payload", "reason"), ZENDESK_BAD)
def test_zendesk_unmappable_payloads_say_why(payload: dict[str, Any], reason: str) -> None:
    with pytest.raises(Unmappable, match=None) as info:
        map_zendesk(payload, ZD)
    assert reason in str(info.value)


def test_zendesk_customer_and_private_comments() -> None:
    payload = _zd("ticket_comment_added")
    payload["event"]["comment"]["author"]["is_staff"] = False
    payload["event"]["comment"]["is_public"] = False
    (event,) = _events(map_zendesk(payload, ZD))
    assert (event["author"], event["public"]) == ("customer", False)


TWILIO = [
    ("task_created", {"type": "call.queued", "queue": "billing"}),
    ("task_canceled", {"type": "call.abandoned"}),
    ("reservation_accepted", {"type": "call.answered", "agent_id": "twilio:" + WORKER}),
    ("task_wrapup", {"type": "call.ended"}),
    ("task_completed", {"type": "call.wrapup_completed"}),
]


@pytest.mark.parametrize(("name", "expected"), TWILIO, ids=[t[0] for t in TWILIO])
def test_taskrouter_callbacks_map_to_call_events(name: str, expected: dict[str, Any]) -> None:
    params = fixture("twilio", name)
    (event,) = _events(map_taskrouter(params, TW))
    assert event.items() >= expected.items()
    assert event["_key"] == event["call_id"] == "twilio:" + params["TaskSid"]
    assert event["event_id"] == "twilio:" + params["Sid"]
    assert event["occurred_at"] == rfc3339(int(params["Timestamp"]), "t")


def test_taskrouter_worker_activity_maps_to_agent_status() -> None:
    (event,) = _events(map_taskrouter(fixture("twilio", "worker_activity_update"), TW))
    assert event["_stream"] == "agents"
    assert (event["agent_id"], event["status"], event["queues"]) == (
        "twilio:" + WORKER,
        "offline",
        ["billing"],
    )


def test_taskrouter_other_events_are_ignored_and_bad_ones_explained() -> None:
    assert map_taskrouter(fixture("twilio", "task_queue_entered"), TW) == []
    params = fixture("twilio", "worker_activity_update") | {"WorkerActivityName": "Gone fishing"}
    with pytest.raises(Unmappable, match=r"'Gone fishing' is not in ingest\.twilio\.activities"):
        map_taskrouter(params, TW)
    with pytest.raises(Unmappable, match="TaskSid: field required"):
        map_taskrouter(
            {k: v for k, v in fixture("twilio", "task_wrapup").items() if k != "TaskSid"}, TW
        )


def test_taskrouter_event_id_without_sid_is_stable_across_retries() -> None:
    params = {k: v for k, v in fixture("twilio", "task_wrapup").items() if k != "Sid"}
    first, again = (orjson.loads(map_taskrouter(params, TW)[0].value) for _ in range(2))
    assert (
        first["event_id"]
        == again["event_id"]
        == ("twilio:task.wrapup:" + params["TaskSid"] + ":" + params["TimestampMs"])
    )


CONNECT = [
    ("contact_queued", {"type": "call.queued", "queue": "billing"}, "17:17:58"),
    ("contact_connected_to_agent", {"type": "call.answered"}, "17:18:03"),
    ("contact_disconnected", {"type": "call.ended"}, "17:18:37"),
    ("contact_disconnected_in_queue", {"type": "call.abandoned"}, "17:18:40"),
    ("contact_completed", {"type": "call.wrapup_completed"}, "17:19:07"),
]


@pytest.mark.parametrize(("name", "expected", "at"), CONNECT, ids=[c[0] for c in CONNECT])
def test_connect_contact_events_map_to_call_events(
    name: str, expected: dict[str, Any], at: str
) -> None:
    payload = fixture("connect", name)
    (event,) = _events(map_connect(payload, CN))
    assert event.items() >= expected.items()
    assert event["call_id"] == "connect:11111111-1111-1111-1111-111111111111"
    assert event["event_id"] == "connect:" + payload["id"]
    assert event["occurred_at"] == f"2021-08-04T{at}+00:00"


def test_connect_answered_names_the_agent_by_its_arn_id() -> None:
    (event,) = _events(map_connect(fixture("connect", "contact_connected_to_agent"), CN))
    assert event["agent_id"] == "connect:44444444-4444-4444-4444-444444444444"


AGENTS = [
    ("agent_state_change", "available"),
    ("agent_state_change_on_call", "busy"),
]


@pytest.mark.parametrize(("name", "status"), AGENTS)
def test_connect_agent_records_map_to_agent_status(name: str, status: str) -> None:
    (event,) = _events(map_connect(fixture("connect", name), CN))
    assert (event["type"], event["status"], event["queues"]) == (
        "agent.status_changed",
        status,
        ["billing"],
    )
    assert event["agent_id"] == "connect:agent-ARN"


def test_connect_statuses_from_config_and_ignored_records() -> None:
    lunch = fixture("connect", "agent_state_change")
    lunch["CurrentAgentSnapshot"]["AgentStatus"]["Name"] = "Lunch"
    assert orjson.loads(map_connect(lunch, CN)[0].value)["status"] == "away"
    assert map_connect(fixture("connect", "agent_heart_beat"), CN) == []
    assert map_connect(fixture("connect", "contact_initiated"), CN) == []
    unknown = fixture("connect", "contact_queued")
    unknown["detail"]["queueInfo"]["queueArn"] = "arn:aws:connect:x:1:instance/i/queue/other"
    with pytest.raises(Unmappable, match=r"is not in ingest\.connect\.queue\.names"):
        map_connect(unknown, CN)


def test_own_events_one_object_lines_and_arrays() -> None:
    ev = {
        "event_id": "e1",
        "type": "call.queued",
        "occurred_at": "2026-01-05T10:00:00Z",
        "call_id": "c1",
        "queue": "billing",
    }
    survey = {
        "event_id": "e2",
        "type": "survey.responded",
        "occurred_at": "2026-01-05T10:00:00Z",
        "ticket_id": "t1",
        "survey": "csat",
        "score": 5,
    }
    one = orjson.dumps(ev, option=orjson.OPT_INDENT_2)
    lines = b"\n".join([orjson.dumps(ev), b"{not json", orjson.dumps(survey | {"score": 9})])
    assert [(r.stream, r.key) for r in split_events(one)[0]] == [("calls", "c1")]
    good, bad = split_events(lines)
    assert [r.key for r in good] == ["c1"]
    assert [(n, reason.split(":")[0]) for n, reason, _ in bad] == [
        (2, "invalid JSON"),
        (3, "score"),
    ]
    good, bad = split_events(orjson.dumps([ev, survey]))
    assert ([r.stream for r in good], bad) == (["calls", "tickets"], [])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2099-07-04T05:33:18.607217356Z", "2099-07-04T05:33:18.607217+00:00"),
        ("2021-08-04T17:17:53.000Z", "2021-08-04T17:17:53+00:00"),
        ("2026-01-05T11:00:00+01:00", "2026-01-05T10:00:00+00:00"),
        (1735689600, "2025-01-01T00:00:00+00:00"),
        ("1735689600", "2025-01-01T00:00:00+00:00"),
        (1735689600123, "2025-01-01T00:00:00.123000+00:00"),
    ],
)
def test_vendor_timestamps_become_rfc3339_utc(value: object, expected: str) -> None:
    assert rfc3339(value, "t") == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "t: missing timestamp"),
        ("", "t: missing timestamp"),
        ("soon", "t: not a timestamp"),
        ("2026-01-05T10:00:00", "t: timestamp without offset"),
        (10**30, "t: timestamp out of range"),
        (True, "t: missing timestamp"),
    ],
)
def test_bad_vendor_timestamps_are_unmappable(value: object, reason: str) -> None:
    with pytest.raises(Unmappable) as info:
        rfc3339(value, "t")
    assert str(info.value).startswith(reason)


def test_taskrouter_bad_milliseconds_are_unmappable() -> None:
    params = fixture("twilio", "task_wrapup") | {"TimestampMs": "12.5"}
    with pytest.raises(Unmappable, match="TimestampMs: not milliseconds"):
        map_taskrouter(params, TW)


def test_firehose_envelopes_are_unwrapped_and_broken_ones_explained() -> None:
    envelope = {"requestId": "r1", "timestamp": 1, "records": [{"data": "eyJhIjogMX0="}]}
    got = unwrap(envelope)
    assert got is not None and (got.request_id, got.records) == ("r1", [b'{"a": 1}'])
    assert unwrap(fixture("connect", "contact_queued")) is None
    with pytest.raises(Unmappable, match=r"records\[0\]\.data: not base64"):
        unwrap({"requestId": "r1", "records": [{"data": "%%%"}]})
