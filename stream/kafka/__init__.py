"""Everything that talks to Kafka through faust or aiokafka (and nothing else does).

`app` builds the faust app, `processor` binds the pure pipeline to its topics and
tables, `setup` checks and creates topics, `silence_log` replicates API silences,
`fastpath` is the fetch loop without faust's per-record overhead, `ingest_producer`
writes what `kpiwatch ingest` maps (acks=all).
"""
