"""Everything that talks to Kafka through faust or aiokafka (and nothing else does).

`app` builds the faust app, `processor` binds the pure pipeline to its topics and
tables, `writer` sends what it produces (confirmed), `state_store` is the
tables' memory store that starts from and keeps checkpoints (`checkpoint`: the
files), so a restart replays only the changelog tail, `outbox` carries the alerting
side's writes to it, `web` registers routes and tasks (handlers see only its
`Request`/`Reply`, no faust type), `producer` serves tools (raising `ProducerError`,
not aiokafka's errors),
`setup` checks and creates topics, `silence_log` replicates API silences,
`internals` holds every faust/aiokafka private we rely on (the exact fetch loop, the
fetch wait, the memory store's maps), each with why (nothing else touches them);
`history` reads the input topics for `kpiwatch backtest` (no consumer group, nothing
committed), `ingest_producer` writes what `kpiwatch ingest` maps (acks=all).
"""
