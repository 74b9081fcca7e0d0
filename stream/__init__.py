"""kpiwatch's Kafka side: events in, KPIs out, alerts bound to the worker.

The map, lowest layer first (a package imports only from the ones above it):

- `stream.events`: the input event models and `decode` (bytes → event or rejection).
- `stream.sla`: SLA policies, business-hours calendars, weekly hours (pure).
- `stream.entities`: ticket, call and agent state machines and the `View` each
  contributes to its queue (pure).
- `stream.kpis`: rolling windows, sketches, current state, the KPI catalogue (pure).
- `stream.pipeline`: the two keyed stages and the batch `Pipeline` over them (pure).
- `stream.config`: the YAML config models, loader, validation and reload plan.
- `stream.core`: the KPI core for a config (the stages), built once for the worker and backtest.
- `stream.metrics`: the Prometheus collector over a KPI snapshot, pipeline counters.
- `stream.render`: Prometheus text of a KPI snapshot and of metric families, each series'
  `name{labels}` text kept between renders; `stream.exposition`: /metrics, off the loop.
- `stream.native`: the compiled core (mypyc): build, status, and the guard that keeps a
  stale one from running.
- `stream.histogram`: a label-less Prometheus histogram fed a batch of values at a time.
- `stream.backtest`: `kpiwatch backtest`: history through the KPI stages and the rule
  lifecycle on an event-time clock, reports (pure; the command hands it the Kafka reader,
  `stream.kafka.history`).
- `stream.kafka`: the only package that imports faust or aiokafka (with `stream.app`): the
  faust app, the processor that binds the pipeline to topics and tables, topic set-up, the
  framework-free HTTP layer `web` (tests/test_layout.py checks these boundaries).
- `stream.alerting`: binds the `alerts` engine to the worker (evaluation, persistence).
- `stream.web`: HTTP endpoints on the worker.
- `stream.dev`: embedded broker, synthetic traffic, the demo.
- `stream.ingest`: `kpiwatch ingest`, vendor webhooks → input topics (its producer is in
  `stream.kafka.ingest_producer`).
- `stream.app`: the wiring (builds real clients, registries, clocks); `stream.cli`: the command.
"""

from stream import native as _native

_native.guard()  # the compiled core, unless a source changed since it was built
