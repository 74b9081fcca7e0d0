"""`kpiwatch ingest`: vendor webhooks and kpiwatch's own events over HTTP → the input topics.

The map (pure first, I/O last):

- `mapping`: the mapped record, `Unmappable`, shared helpers (timestamps, event check).
- `zendesk`, `twilio`, `connect`, `generic`: one mapper per source: payload → records.
- `firehose`: Amazon Data Firehose HTTP-endpoint deliveries (envelope in, answer out).
- `signatures`: webhook signature and bearer checks (constant-time).
- `limits`: the per-endpoint token bucket.
- `metrics`: the service's own Prometheus metrics.
- `service`: the aiohttp app (routes, limits, answers); the producer is injected.
- `delivery`: the `Sink` boundary (`Outgoing` records, `DeliveryError`).
- `main`: the wiring (config → producer from `stream.kafka.ingest_producer` → app).

Exceptions:

    Exception
    ├── Unmappable     a payload that cannot become events (422, dead-lettered)   mapping
    ├── DeliveryError  the broker did not confirm a write in time (503, retried)   delivery
    └── Refused        refused before mapping: 401/403/404/413/429               service

aiokafka's errors become `ProduceError` in `stream.kafka.ingest_producer` and
`DeliveryError` in `main.KafkaSink`; a `Refused` never leaves the service.
"""
