"""The config file: strict models, `${VAR}` substitution, errors with locations, reload plan.

`root` holds the root model and loader; the sections live in their own modules.
"""
