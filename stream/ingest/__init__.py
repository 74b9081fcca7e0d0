"""`kpiwatch ingest`: vendor webhooks and kpiwatch's own events over HTTP → the input topics.

The map (pure first, I/O last):

- `mapping`: the mapped record, `Unmappable`, shared helpers (timestamps, event check).
- `zendesk`, `twilio`, `connect`, `generic`: one mapper per source: payload → records.
- `signatures`: webhook signature and bearer checks (constant-time).
- `limits`: the per-endpoint token bucket.
- `metrics`: the service's own Prometheus metrics.
- `service`: the aiohttp app (routes, limits, answers); the producer is injected.
- `main`: the wiring (config → producer from `stream.kafka.ingest_producer` → app).

Exceptions:

    Exception
    ├── Unmappable     a payload that cannot become events (422, dead-lettered)
    └── DeliveryError  the broker did not confirm a write in time (503, vendor retries)
"""
