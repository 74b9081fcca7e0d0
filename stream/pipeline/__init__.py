"""The two keyed stages (`stages`), the batch processing over them (`batch`), and
whether the worker is catching up on a backlog (`catchup`); pure."""
