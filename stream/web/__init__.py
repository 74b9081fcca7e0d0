"""HTTP endpoints served by the worker (on faust's web server)."""
