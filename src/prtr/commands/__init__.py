"""Subcommands of the ``prtr`` command line, one module each.

A module here defines ``register(subparsers)``, which adds its parser and sets
``handler`` to the function that runs it. :mod:`prtr.cli` finds the modules itself.
"""
