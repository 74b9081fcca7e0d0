"""`kpiwatch backtest`: replay history through the KPI core and the rules (pure).

The map, lowest layer first:

- `sources`: history records from JSON-lines files, merged into event-time order.
- `core`: the worker's KPI stages for a config, without the faust wiring.
- `replay`: the KPI core on an event-time clock, ticking at the live cadence.
- `simulate`: the rule lifecycle, grouping, silences and inhibition; records what
  would have been sent instead of sending it.
- `record`: firing and pending spans, notifications, flaps and KPI series per alert.
- `sweep`: `RULE.param=a:b:step` parsing and the rule variants it makes.
- `report`: the result as plain data (the `--json` document), baseline differences.
- `terminal`, `html` (+ `html_parts`): the renderings; `run`: replay once, simulate
  every variant; `cli`: the command's arguments, exit codes and outputs.

The Kafka reader lives in `stream.kafka.history` (only `stream.kafka` imports aiokafka).
"""
