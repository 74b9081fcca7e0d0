"""The web console: server-rendered pages over the worker's own state, no CDN.

`html` holds the markup helpers, `state` gathers what the pages show, `pages`
renders them, `routes` registers them on the faust web server.
"""
