"""Input events (SPEC §1): `models` are the pydantic models, `decoding` turns bytes into one."""
