"""The two keyed stages (`stages`) and the batch processing over them (`batch`); pure."""
