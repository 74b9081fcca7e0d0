"""Input events (SPEC §1): `models` the structs, `decoding` bytes → one, `validation` why not."""
