"""`kpiwatch backtest`: replay history through the KPI core and the rules (pure).

The map, lowest layer first:

- `sources`: history records from JSON-lines files, merged into event-time order.
- `replay`: the KPI core (the worker's stages, no Kafka) on an event-time clock.
- `simulate`: the rule lifecycle, grouping, silences and inhibition; records what
  would have been sent instead of sending it.
- `record`: firing and pending spans, notifications, flaps and KPI series per alert.
- `sweep`: `RULE.param=a:b:step` parsing and the rule variants it makes.
- `report`: the result as plain data (the `--json` document), baseline differences.
- `terminal`, `html`: the two renderings; `run`: what the command does.

The Kafka reader lives in `stream.kafka.history` (only `stream.kafka` imports aiokafka).
"""
