"""The engine's stages, in the manner of Alertmanager's notify pipeline.

    snapshot ─ Evaluate ─▶ alert states (store)
    tick ───── Group ─▶ a due group and its members
               ─ Mute ─▶ its members neither silenced nor inhibited (once, all receivers)
               ─ Dispatch ─▶ per receiver: dedup against the log, hand to the worker
               ─ Retention ─▶ resolved alerts past their retention leave the store

Each stage is one small object with one method, `run`; the engine
(`alerts.engine`) builds them over one store and one rule book, and the
per-receiver part (queue → retry → record) runs in `alerts.pipeline`. As in
Alertmanager, muting applies to a group when it flushes, not when an alert
changes, so a silence that ends mid-interval takes effect at the next flush.
"""
