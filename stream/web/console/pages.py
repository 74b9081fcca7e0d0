"""The console's pages rendered from a Context (pure: a Context in, HTML out)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from alerts.matchers import is_regex
from stream.kpis.catalogue import get as kpi_def
from stream.web.console.html import (
    badge,
    esc,
    fmt_duration,
    fmt_time,
    fmt_value,
    layout,
    sparkline,
    table,
)
from stream.web.console.state import HEADLINES, Context, next_due

LABELS = {
    "calls_waiting": "calls waiting",
    "longest_wait": "longest wait",
    "abandon_rate": "abandon rate",
    "service_level": "service level",
    "open_tickets": "open tickets",
    "sla_at_risk": "SLA at risk",
}


def _note(ctx: Context) -> str:
    owned = sorted(ctx.status.owned.get("queues", set()))
    return f"this worker: queue partitions {owned or 'none yet'} · {ctx.now:%H:%M:%S} UTC"


def _at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def overview(ctx: Context) -> str:
    """Return the Overview: per queue, headline KPIs with a sparkline, and rule states."""
    heads = ["queue"]
    for kpi in HEADLINES:
        w = ctx.windows.get(kpi)
        heads.append(f"{LABELS[kpi]} ({w})" if w else LABELS[kpi])
    heads.append("rules")
    rows = []
    for queue in sorted(ctx.values):
        cells = [f"<b>{esc(queue)}</b>"]
        for kpi in HEADLINES:
            value = fmt_value(ctx.values[queue].get(kpi), kpi_def(kpi).unit.value)
            spark = sparkline(ctx.history.series(queue, kpi, ctx.now))
            cells.append(f"<span class=num>{value}</span>{spark}")
        cells.append(_rule_states(ctx, queue))
        rows.append(cells)
    intro = (
        "<p>Headline KPIs of the queues this worker owns; lines show the last hour. "
        "Windowed KPIs are shown in their rules' window.</p>"
    )
    body = intro + table(heads, rows, "No KPI yet: waiting for events on the input topics.")
    return layout("Overview", "/", body, _note(ctx))


def _rule_states(ctx: Context, queue: str) -> str:
    states = {a["rule"]: a["state"] for a in ctx.alerts if a["labels"].get("queue") == queue}
    return " ".join(
        f"<a href='/alerts'>{esc(r.name)}</a> {badge(states.get(r.name, 'ok'))}"
        for r in ctx.config.rules
        if r.match.get("queue") in (None, queue)
    )


def _condition(alert: Mapping[str, Any], ctx: Context) -> tuple[str, str, str]:
    rule = ctx.rule(alert["rule"])
    if rule is None:
        return "–", "–", "–"
    unit = kpi_def(rule.kpi).unit.value
    value = fmt_value(alert["value"], unit)
    cond = f"{value} {esc(rule.op)} {fmt_value(rule.threshold, unit)}"
    window = " ".join(x for x in (rule.stat, rule.window) if x) or "now"
    return cond, esc(window), esc(stamp(ctx, rule.kpi, rule.window))


def stamp(ctx: Context, kpi: str, window: str | None) -> str:
    """Return the KPI's definition stamp: the parameters its number depends on."""
    k = ctx.config.kpis
    parts = [f"window {window}"] if window else ["current state"]
    if kpi in ("abandon_rate", "service_level"):
        parts.append(f"short abandon {fmt_duration(k.short_abandon)}")
    if kpi == "service_level":
        parts.append(f"answered within {fmt_duration(k.service_level_threshold)}")
    return " · ".join(parts)


def alerts(ctx: Context) -> str:
    """Return the Alerts page: pending, firing and recently resolved alerts."""
    order = {"firing": 0, "pending": 1, "resolved": 2}
    rows = []
    for a in sorted(ctx.alerts, key=lambda a: (order.get(a["state"], 3), a["rule"])):
        rule = ctx.rule(a["rule"])
        cond, window, stamp = _condition(a, ctx)
        labels = {k: v for k, v in a["labels"].items() if k not in ("alertname", "severity")}
        since = (
            _at(a["endsAt"]) if a["state"] == "resolved" else _at(a["startsAt"] or a["activeAt"])
        )
        sent = _receivers(a, rule.receivers if rule else [], ctx)
        muted = ", ".join(a["silencedBy"] + a["inhibitedBy"])
        silence = "/silences?" + urlencode({"alertname": a["rule"], **labels})
        rows.append(
            [
                f"{badge(a['state'])}{' ' + badge('muted') if muted else ''}",
                f"<b>{esc(a['rule'])}</b><br><small>{esc(a['annotations'].get('summary', ''))}"
                "</small>",
                esc(", ".join(f"{k}={v}" for k, v in labels.items())),
                cond,
                window,
                esc(a["samples"] if a["samples"] is not None else "–"),
                stamp,
                fmt_time(since, ctx.now),
                esc(next_due(a, rule, ctx.now)),
                sent,
                f"<a class=button href='{esc(silence)}'>silence…</a>",
            ]
        )
    heads = ["state", "alert", "labels", "value vs threshold", "window", "samples",
             "KPI definition", "since", "next notification", "receivers", ""]  # fmt: skip
    body = table(heads, rows, "No alert: every rule holds.")
    return layout("Alerts", "/alerts", body, _note(ctx))


def _receivers(alert: Mapping[str, Any], names: list[str], ctx: Context) -> str:
    out = []
    for name in names:
        entry = alert["notified"].get(name)
        told = (
            f"sent {entry['status']} {fmt_time(_at(entry['at']), ctx.now)}" if entry else "not sent"
        )
        out.append(f"<b>{esc(name)}</b>: {told}")
    return "<br>".join(out) or "–"


def silences(ctx: Context, prefill: Mapping[str, str], message: str = "") -> str:
    """Return the Silences page: the list, expire buttons, and the create form."""
    rows = []
    for s in ctx.silences:
        state = s.status(ctx.now)
        matchers = ", ".join(
            f"{k}{'=~' if is_regex(v) else '='}{v}" for k, v in sorted(s.silence.matchers.items())
        )
        expire = ""
        if s.origin == "api" and state != "expired":
            expire = (
                f"<form method=post action='/silences/{esc(s.id)}/expire' class=inline>"
                f"{_token_field(ctx)}<button>expire</button></form>"
            )
        rows.append(
            [
                badge(state),
                esc(matchers),
                fmt_time(s.silence.starts_at, ctx.now),
                fmt_time(s.silence.ends_at, ctx.now),
                esc(s.silence.created_by),
                esc(s.silence.comment),
                esc(s.origin),
                expire,
            ]
        )
    heads = ["state", "matchers", "starts", "ends", "by", "comment", "from", ""]
    lines = "\n".join(f"{k}={v}" for k, v in prefill.items())
    flash = f"<p class=flash>{esc(message)}</p>" if message else ""
    form = (
        "<h2>New silence</h2><form method=post action='/silences' class=silence>"
        "<label><span>Matchers, one <code>label=value</code> or <code>label=~regex</code>"
        " a line</span>"
        f"<textarea name=matchers rows=4 required>{esc(lines)}</textarea></label>"
        "<label>For <input name=duration value=1h required></label>"
        "<label>By <input name=created_by required></label>"
        "<label>Comment <input name=comment required></label>"
        f"{_token_field(ctx)}<button>Create silence</button></form>"
    )
    body = flash + table(heads, rows, "No silence.") + form
    return layout("Silences", "/silences", body, _note(ctx), refresh=False)


def _token_field(ctx: Context) -> str:
    if not ctx.auth_required:
        return ""
    return "<input type=password name=token placeholder='API token' class=token required>"


def notifications(ctx: Context) -> str:
    """Return the Notifications page: per alert and receiver, what was sent and when."""
    rows = []
    for a in ctx.alerts:
        rule = ctx.rule(a["rule"])
        for name in rule.receivers if rule else list(a["notified"]):
            entry = a["notified"].get(name)
            queue = a["labels"].get("queue", "")
            rows.append(
                [
                    esc(f"{a['rule']} {queue}"),
                    badge(a["state"]),
                    esc(name),
                    badge(entry["status"]) if entry else "not sent",
                    fmt_time(_at(entry["at"]) if entry else None, ctx.now),
                    esc(next_due(a, rule, ctx.now)),
                ]
            )
    log = table(
        ["alert", "state", "receiver", "last sent", "at", "next"], rows, "Nothing sent yet."
    )
    per = []
    for r in ctx.config.receivers:
        c = ctx.receiver_counts(r.name)
        per.append([esc(r.name), esc(r.type), *(f"{c[k]:.0f}" for k in c)])
    totals = table(
        ["receiver", "type", "delivered", "failed attempts", "given up (dead-lettered)"],
        per,
        "No receiver configured.",
    )
    body = f"{log}<h2>Receivers since start</h2>{totals}"
    return layout("Notifications", "/notifications", body, _note(ctx))


def status(ctx: Context) -> str:
    """Return the Status page: config, reload, partitions, lag, live or catching up."""
    st = ctx.status
    lag = {tp: n for tp, n in st.lag.items() if "__assignor" not in tp[0]}  # faust-internal
    mode = "recovering state" if not st.ready else "catching up" if st.catching_up else "live"
    why = (
        f"{st.behind or 'on a backlog'}: notifications are held until live"
        if st.catching_up
        else "rules are evaluated on current data; notifications go out"
    )
    reload, err = badge("ok") if st.reload_ok else badge("refused"), st.reload_error
    rows = [
        ["version", esc(st.version)],
        ["config file", esc(st.config_path or "–")],
        ["loaded at", fmt_time(st.loaded_at, ctx.now)],
        ["last reload", reload + (f"<pre class=error>{esc(err)}</pre>" if err else "")],
        ["restart required for", esc(", ".join(st.restart_required) or "nothing")],
        ["state", f"{badge(mode)} {esc(why)}"],
        ["brokers", esc(st.brokers)],
        ["HTTP", esc(st.http)],
        ["rules / receivers", f"{len(ctx.config.rules)} / {len(ctx.config.receivers)}"],
    ]  # fmt: skip
    owned = [[esc(t), esc(sorted(p) or "none")] for t, p in sorted(st.owned.items())]
    lags = [[esc(f"{t}[{p}]"), f"{n}"] for (t, p), n in sorted(lag.items())]
    body = (
        table(["", ""], rows, "")
        + "<h2>Partitions owned</h2><p>In a group each worker shows only the queues in its"
        " partitions; open the other workers' consoles for theirs.</p>"
        + table(["table", "partitions"], owned, "None yet (waiting for assignment).")
        + "<h2>Consumer lag</h2>"
        + table(["topic[partition]", "records not yet committed"], lags, "No partition assigned.")
        + f"<p>Up for {fmt_duration(ctx.now - st.loaded_at)} since the config was loaded.</p>"
    )
    return layout("Status", "/status", body, _note(ctx))
