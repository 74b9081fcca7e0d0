"""Alerting: rules over KPI snapshots, the alert lifecycle, and notification delivery.

The stream side hands `alerts.snapshot.KpiSnapshot`s to `alerts.engine.AlertEngine`;
nothing here imports `stream/`.

    snapshot → rules (evaluate) → lifecycle (pending/firing/resolved, per alert)
             → mute (silences, inhibition) → group (group_wait/group_interval)
             → per receiver: queue → dedup (notification log) → retry → record
                                                      └→ dead letter after the budget

Modules: `config` (strict models), `durations`, `matchers`, `rules`, `rulebook`,
`lifecycle`, `fingerprint`, `store`, `silences`, `mute`, `grouping`,
`stages/` (evaluate, group, mute, dispatch, retention: one object each),
`pipeline`, `retry`, `receivers/` (webhook, slack, alertmanager),
`templating`, `views`, `metrics`, `engine` (builds and runs the stages),
`engine_config` (the receiver workers).

Exceptions (drawn in `alerts.errors`):

    AlertsError
    ├── DeliveryError               (RetryableDeliveryError, PermanentDeliveryError)
    └── SilenceError                (SilenceNotFound)
"""
