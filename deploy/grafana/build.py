"""Generate the Grafana dashboards in deploy/grafana/dashboards from code.

    python deploy/grafana/build.py            # rewrite the JSON files
    python deploy/grafana/build.py --check    # exit 1 if a committed file is stale

Plain dicts in Grafana's dashboard JSON model (schemaVersion 39), no SDK: a
panel is a small function call, and the generated JSON is what Grafana loads.
Threshold colours come from the rules in config/kpiwatch.yaml (so the boards
turn red where kpiwatch pages); KPIs without a rule use the conventions in
DEFAULT_STEPS. tests/deploy runs every PromQL expression here against a real
Prometheus scraping a real worker.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from panels import (
    QUEUE_VAR,
    QW,
    RATE,
    WINDOW_VAR,
    Board,
    Q,
    Thresholds,
    query_var,
    row,
    series,
    stat,
)

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "dashboards"
CONFIG = ROOT / "config" / "kpiwatch.yaml"


# --- the four boards -----------------------------------------------------------------


SOON = "kpiwatch_sla_breaching_soon_tickets"
COMPLIANCE = "kpiwatch_sla_compliance"


def overview(t: Thresholds) -> Board:
    """Per-queue tiles of the KPIs on-call looks at first."""
    sl = t.service_level_seconds
    b = Board(
        "kpiwatch-overview",
        "kpiwatch · Overview",
        "Per-queue tiles: backlog and SLA now, call KPIs over the chosen window.",
        [QUEUE_VAR, WINDOW_VAR],
    )
    b.panels += [
        row("Now"),
        stat("Open tickets", f"sum by (queue) (kpiwatch_open_tickets{{{Q}}})", "short", w=6),
        stat("SLA at risk", f"sum by (queue) (kpiwatch_sla_at_risk_tickets{{{Q}}})", "short",
             t.steps("sla_at_risk"), desc="Open tickets due within the policy's at_risk horizon. "
             + t.rule_note("sla_at_risk"), w=6),
        stat("Breaching within 1h", f"sum by (queue) ({SOON}{{{Q}, within=\"1h\"}})", "short",
             t.steps("sla_breaching_soon"), w=6,
             desc="Open tickets that breach an SLA target within the hour if nobody acts "
             "(any target, paused clocks excluded)."),
        stat("SLA breached", f"sum by (queue) (kpiwatch_sla_breached_tickets{{{Q}}})", "short",
             t.steps("sla_breached"), desc="Open tickets already past an SLA target.", w=6),
        stat("Calls waiting", f"sum by (queue) (kpiwatch_calls_waiting{{{Q}}})", "short",
             t.steps("calls_waiting")),
        stat("Longest wait", f"max by (queue) (kpiwatch_longest_wait_seconds{{{Q}}})", "s",
             [("green", None), ("yellow", sl)] if "longest_wait" not in t.rules
             else t.steps("longest_wait"),
             desc=f"Age of the oldest waiting call. Yellow from the service level's {sl:g}s."),
        stat("Agents available", f"sum by (queue) (kpiwatch_agents{{{Q}, status=\"available\"}})",
             "short", t.steps("agents_available"),
             desc="Agents whose current status is available, per queue they serve."),
        row("Window: $window"),
        stat("Abandon rate", f"queue_window:kpiwatch_abandon_rate:ratio{{{QW}}}", "percentunit",
             t.steps("abandon_rate"), desc=t.rule_note("abandon_rate"), decimals=1),
        stat("Service level", f"queue_window:kpiwatch_service_level:ratio{{{QW}}}",
             "percentunit", t.steps("service_level"), decimals=1,
             desc=f"Answered within {sl:g}s ÷ offered. " + t.rule_note("service_level")),
        stat("First response p90 (worst channel × priority)",
             f"queue_window:kpiwatch_first_response_seconds:p90_max{{{QW}}}", "s",
             t.steps("frt"), desc="p90 of first response time; quantiles do not add up, so "
             "this is the worst segment of the queue."),
        row("Trends"),
        series("Abandon rate ($window)", [(f"queue_window:kpiwatch_abandon_rate:ratio{{{QW}}}",
                                           "{{queue}}")], "percentunit", t.steps("abandon_rate"),
               desc=t.rule_note("abandon_rate"), min=0),
        series("SLA at risk / breached", [
            (f"sum by (queue) (kpiwatch_sla_at_risk_tickets{{{Q}}})", "{{queue}} at risk"),
            (f"sum by (queue) (kpiwatch_sla_breached_tickets{{{Q}}})", "{{queue}} breached"),
        ], "short", min=0),
    ]  # fmt: skip
    return b


def contact_centre(t: Thresholds) -> Board:
    """Calls, agents and customer experience for contact-centre leads."""
    b = Board(
        "kpiwatch-contact-centre",
        "kpiwatch · Contact centre",
        "Calls, queues and agents; ratios rebuilt from numerators and denominators.",
        [QUEUE_VAR, WINDOW_VAR],
    )
    b.panels += [
        row("Queues now"),
        series("Calls waiting", [(f"sum by (queue) (kpiwatch_calls_waiting{{{Q}}})",
                                  "{{queue}}")], "short", min=0, w=8),
        series("Longest wait", [(f"max by (queue) (kpiwatch_longest_wait_seconds{{{Q}}})",
                                 "{{queue}}")], "s", min=0, w=8),
        series("Agents by status", [(f"sum by (status) (kpiwatch_agents{{{Q}}})", "{{status}}")],
               "short", stack=True, min=0, w=8),
        series("Agents by queue and status",
               [(f"queue_status:kpiwatch_agents:sum{{{Q}}}",
                 "{{queue}} {{status}}")], "short", min=0, w=12,
               desc="From agent.status_changed; an agent serving several queues counts in each."),
        series("Agent occupancy ($window)",
               [(f"queue_window:kpiwatch_occupancy:ratio{{{QW}}}", "{{queue}}")], "percentunit",
               t.steps("occupancy"), min=0, max=1, w=12,
               desc="Time busy or in after-call work ÷ time staffed (busy + available). "
               + t.rule_note("occupancy")),
        row("Calls over $window"),
        series("Calls offered / answered / abandoned", [
            (f"sum(queue_window:kpiwatch_calls_offered:sum{{{QW}}})", "offered"),
            (f"sum(queue_window:kpiwatch_calls_answered:sum{{{QW}}})", "answered"),
            (f"sum(queue_window:kpiwatch_calls_abandoned:sum{{{QW}}})", "abandoned"),
        ], "short", min=0, w=8),
        series("Abandon rate", [(f"queue_window:kpiwatch_abandon_rate:ratio{{{QW}}}",
                                 "{{queue}}")], "percentunit", t.steps("abandon_rate"),
               desc=t.rule_note("abandon_rate"), min=0, w=8),
        series("Service level", [(f"queue_window:kpiwatch_service_level:ratio{{{QW}}}",
                                  "{{queue}}")], "percentunit", t.steps("service_level"),
               desc=t.rule_note("service_level"), min=0, max=1, w=8),
        series("Average speed of answer", [(f"queue_window:kpiwatch_asa_seconds:mean{{{QW}}}",
                                            "{{queue}}")], "s", t.steps("asa"), min=0),
        series("Average handle time", [(f"queue_window:kpiwatch_aht_seconds:mean{{{QW}}}",
                                        "{{queue}}")], "s", t.steps("aht"), min=0),
        row("Customer experience over $window"),
        stat("CSAT (top-2-box)", f"queue_window:kpiwatch_csat:ratio{{{QW}}}", "percentunit",
             t.steps("csat"), desc=t.rule_note("csat"), decimals=1),
        stat("NPS", f"queue_window:kpiwatch_nps:mean{{{QW}}}", "none", t.steps("nps"),
             decimals=0, min=-100, max=100),
        stat("CES (1–7, lower is easier)", f"queue_window:kpiwatch_ces:mean{{{QW}}}", "none",
             t.steps("ces"), decimals=2, min=1, max=7),
    ]  # fmt: skip
    return b


def _mean_by(metric: str, by: str) -> str:
    return f"sum by ({by}) ({metric}_sum{{{QW}}}) / sum by ({by}) ({metric}_count{{{QW}}} > 0)"


def helpdesk_sla(t: Thresholds) -> Board:
    """Ticket backlog, SLA risk and response/resolution times."""
    frt, res = "kpiwatch_first_response_seconds", "kpiwatch_resolution_seconds"
    b = Board(
        "kpiwatch-helpdesk-sla",
        "kpiwatch · Helpdesk & SLA",
        "Ticket backlog, SLA targets at risk or breached, response and resolution times.",
        [QUEUE_VAR, WINDOW_VAR],
    )
    b.panels += [
        row("Backlog now"),
        series("Open tickets by priority",
               [(f"sum by (priority) (kpiwatch_open_tickets{{{Q}}})", "{{priority}}")],
               "short", stack=True, min=0),
        series("Open tickets by channel",
               [(f"sum by (channel) (kpiwatch_open_tickets{{{Q}}})", "{{channel}}")],
               "short", stack=True, min=0),
        series("SLA at risk by target × priority",
               [(f"sum by (target, priority) (kpiwatch_sla_at_risk_tickets{{{Q}}})",
                 "{{target}} · {{priority}}")], "short", t.steps("sla_at_risk"),
               desc=t.rule_note("sla_at_risk"), min=0),
        series("SLA breached by target × priority",
               [(f"sum by (target, priority) (kpiwatch_sla_breached_tickets{{{Q}}})",
                 "{{target}} · {{priority}}")], "short", min=0),
        row("Time to breach"),
        stat("Breaching within 15m", f"sum by (target) ({SOON}{{{Q}, within=\"15m\"}})", "short",
             t.steps("sla_breaching_soon"), legend="{{target}}", w=6,
             desc="Open tickets that breach this target within 15 minutes if nobody acts."),
        stat("Breaching within 1h", f"sum by (target) ({SOON}{{{Q}, within=\"1h\"}})", "short",
             t.steps("sla_breaching_soon"), legend="{{target}}", w=6,
             desc="Open tickets that breach this target within the hour if nobody acts."),
        series("Breaching soon by queue", [
            (f"sum by (queue, within) (queue_target_within:{SOON}:sum{{{Q}}})",
             "{{queue}} within {{within}}"),
        ], "short", min=0),
        row("Response and resolution over $window"),
        series("First response time by priority", [
            (_mean_by(frt, "priority"), "{{priority}} mean"),
            (f"max by (priority) ({frt}{{{QW}, quantile=\"0.9\"}})", "{{priority}} p90 (worst)"),
        ], "s", t.steps("frt"), min=0, w=8),
        series("Resolution time by priority", [
            (_mean_by(res, "priority"), "{{priority}} mean"),
            (f"max by (priority) ({res}{{{QW}, quantile=\"0.9\"}})", "{{priority}} p90 (worst)"),
        ], "s", t.steps("resolution_time"), min=0, w=8),
        stat("SLA compliance by target ($window)",
             f"sum by (target) ({COMPLIANCE}{{{QW}}} * {COMPLIANCE}_samples{{{QW}}})"
             f" / sum by (target) ({COMPLIANCE}_samples{{{QW}}} > 0)", "percentunit",
             t.steps("sla_compliance"), legend="{{target}}", decimals=1, min=0, max=1, w=8,
             desc="Targets met ÷ targets concluded (met or breached) in the window, selected "
             "queues together. " + t.rule_note("sla_compliance")),
        series("SLA compliance by queue × target ($window)",
               [(f"queue_target_window:{COMPLIANCE}:ratio{{{QW}}}", "{{queue}} · {{target}}")],
               "percentunit", t.steps("sla_compliance"), min=0, max=1, w=16),
        series("Tickets created / solved", [
            (f"sum(queue_window:kpiwatch_tickets_created:sum{{{QW}}})", "created"),
            (f"sum(queue_window:kpiwatch_tickets_solved:sum{{{QW}}})", "solved"),
        ], "short", min=0, w=8),
        stat("First response mean", f"queue_window:{frt}:mean{{{QW}}}", "s", t.steps("frt"), w=6),
        stat("Resolution mean", f"queue_window:{res}:mean{{{QW}}}", "s",
             t.steps("resolution_time"), w=6),
        stat("First contact resolution", f"queue_window:kpiwatch_fcr:ratio{{{QW}}}",
             "percentunit", t.steps("fcr"), decimals=1, w=4),
        stat("Escalation rate", f"queue_window:kpiwatch_escalation_rate:ratio{{{QW}}}",
             "percentunit", t.steps("escalation_rate"), decimals=1, w=4),
        stat("Reopen rate", f"queue_window:kpiwatch_reopen_rate:ratio{{{QW}}}",
             "percentunit", t.steps("reopen_rate"), decimals=1, w=4),
    ]  # fmt: skip
    return b


def _quantile(q: float, histogram: str, selector: str, by: str) -> str:
    rate = f"rate({histogram}_bucket{{{selector}}}[{RATE}])"
    return f"histogram_quantile({q}, sum by ({by}) ({rate}))"


def health(t: Thresholds) -> Board:
    """The pipeline's own health: workers, events, lag, notifications, alerts."""
    i = 'instance=~"$instance"'
    inst = query_var(
        "instance",
        "Worker",
        'label_values(up{job="kpiwatch"}, instance)',
        multi=True,
        default="$__all",
    )
    b = Board(
        "kpiwatch-health",
        "kpiwatch · Health",
        "Is kpiwatch keeping up and delivering alerts?",
        [inst],
    )
    b.panels += [
        row("Workers"),
        stat("Workers up", 'sum(up{job="kpiwatch"})', "short", legend="up", w=6,
             desc="Scrape targets answering; each worker owns part of the partitions."),
        stat("Ready", f"kpiwatch_worker_ready{{{i}}}", "short",
             [("red", None), ("green", 1)], legend="{{instance}}", w=10,
             desc="1 once partitions are assigned and state is recovered."),
        stat("Config reload OK", f"kpiwatch_config_last_reload_successful{{{i}}}", "short",
             [("red", None), ("green", 1)], legend="{{instance}}", w=4,
             desc="0: the file on disk was refused; the previous config keeps running."),
        stat("Restart pending", f"kpiwatch_config_restart_required{{{i}}}", "short",
             [("green", None), ("orange", 1)], legend="{{instance}}", w=4,
             desc="1: the file changed KPI, Kafka or worker settings that apply on restart."),
        row("Events"),
        series("Events accepted by topic",
               [(f"sum by (topic) (rate(kpiwatch_events_accepted_total{{{i}}}[{RATE}]))",
                 "{{topic}}")], "cps", min=0, w=6),
        series("Events rejected (to the dead-letter topic)",
               [(f"sum by (topic, type) (rate(kpiwatch_events_rejected_total{{{i}}}[{RATE}]))",
                 "{{topic}} {{type}}")], "cps", min=0, w=6),
        series("Duplicate events ignored",
               [(f"sum by (topic) (rate(kpiwatch_events_duplicate_total{{{i}}}[{RATE}]))",
                 "{{topic}}")], "cps", min=0, w=6),
        series("Late events (per window)",
               [(f"sum by (window, type) (rate(kpiwatch_events_late_total{{{i}}}[{RATE}]))",
                 "{{window}} {{type}}")], "cps", min=0, w=6,
               desc="Facts older than everything a window still holds when they arrived (a "
               "backlog, a transfer of an old ticket): not in that window, in the longer ones."),
        series("Processing lag (now − occurred_at)", [
            (_quantile(0.5, "kpiwatch_event_processing_lag_seconds", i, "le"), "p50"),
            (_quantile(0.99, "kpiwatch_event_processing_lag_seconds", i, "le"), "p99"),
        ], "s", min=0, w=8),
        series("Consumer lag (records)",
               [(f"sum by (topic) (kpiwatch_consumer_lag_records{{{i}}})", "{{topic}}")],
               "short", min=0, w=8),
        series("Events in no known queue",
               [(f"sum by (topic, type) (rate(kpiwatch_events_unplaced_total{{{i}}}[{RATE}]))",
                 "{{topic}} {{type}}")], "cps", min=0, w=8,
               desc="Accepted but counted in no queue yet: a ticket event before its "
               "ticket.created, a survey of an unknown ticket or call without `queue`, an agent "
               "whose queues were never given. A steady rate means a producer misses events."),
        series("Changelog writes and batch size", [
            (f"sum by (stage) (rate(kpiwatch_state_writes_total{{{i}}}[{RATE}]))",
             "writes/s {{stage}}"),
            (_quantile(0.9, "kpiwatch_batch_size", i, "stage, le"), "batch p90 {{stage}}"),
        ], "short", min=0, w=8),
        row("Alerting"),
        stat("Alerts firing", f'sum by (rule) (kpiwatch_alerts{{state="firing", {i}}})', "short",
             [("green", None), ("red", 1)], legend="{{rule}}", w=12),
        series("Alert instances by rule and state",
               [(f"sum by (rule, state) (kpiwatch_alerts{{{i}}})", "{{rule}} {{state}}")],
               "short", min=0, w=12),
        series("Notifications sent", [(
            f"sum by (receiver) (rate(kpiwatch_notifications_sent_total{{{i}}}[{RATE}]))",
            "{{receiver}}")], "cps", min=0, w=6),
        series("Notification failures", [
            (f"sum by (receiver, reason) "
             f"(rate(kpiwatch_notifications_failed_total{{{i}}}[{RATE}]))",
             "{{receiver}} {{reason}}"),
        ], "cps", [("green", None), ("red", 0.001)], min=0, w=6,
           desc="Failed attempts (retried); see dead-lettered for given-up notifications."),
        stat("Dead-lettered notifications (1h)",
             f"sum by (receiver) "
             f"(increase(kpiwatch_notifications_dead_lettered_total{{{i}}}[1h]))", "short",
             [("green", None), ("red", 1)], legend="{{receiver}}", decimals=0, w=6,
             desc="Notifications given up after their retries, now in the dead-letter topic "
             "with the reason: on-call may have missed these pages."),
        series("Notification queue length",
               [(f"sum by (receiver) (kpiwatch_notification_queue_length{{{i}}})",
                 "{{receiver}}")], "short", min=0, w=6),
    ]  # fmt: skip
    return b


BOARDS = {
    "overview": overview,
    "contact-centre": contact_centre,
    "helpdesk-sla": helpdesk_sla,
    "kpiwatch-health": health,
}


def render(config: Path = CONFIG) -> dict[str, str]:
    """Return file name → JSON text of every dashboard."""
    t = Thresholds.load(config)
    return {
        f"{name}.json": json.dumps(make(t).to_json(), indent=2, ensure_ascii=False) + "\n"
        for name, make in BOARDS.items()
    }


def main(argv: list[str] | None = None) -> int:
    """Write the dashboards, or with --check report stale ones and exit 1."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="compare instead of writing")
    p.add_argument("--config", type=Path, default=CONFIG, help="kpiwatch config for thresholds")
    args = p.parse_args(argv)
    stale = []
    for name, text in render(args.config).items():
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print(
            f"stale dashboards (run python {Path(__file__).relative_to(ROOT)}): {stale}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
