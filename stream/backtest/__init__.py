"""`kpiwatch backtest`: replay history through the KPI core and the rules (pure).

The map, lowest layer first:

- `sources`: history records from JSON-lines files, merged into event-time order.
- `core`: the worker's KPI stages for a config, without the faust wiring.
- `horizon`: when a queue's KPI samples can next move with no new event.
- `replay`: the KPI core on an event-time clock, ticking at the live cadence;
  samples only the queues that changed, skips the ticks where nothing can.
- `simulate`: the rule lifecycle, grouping, silences and inhibition; records what
  would have been sent instead of sending it. Its `step` evaluates everything (the
  test oracle); `incremental` steps it only on fresh values and due timers.
- `record`: firing and pending spans, notifications, flaps and KPI series per alert.
- `sweep`: `RULE.param=a:b:step` parsing and the rule variants it makes.
- `report`: the result as plain data (the `--json` document), baseline differences.
- `terminal`, `html` (+ `html_parts`): the renderings; `run`: replay once, simulate
  every variant; `cli`: the command's arguments, exit codes and outputs.

The Kafka reader lives in `stream.kafka.history` (only `stream.kafka` imports aiokafka).
"""
