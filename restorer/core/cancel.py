"""The one "stopped because it was asked to" exception, torch-free so front ends can recognise it cheaply.

``restorer.core.engine.colorize`` raises it when its ``cancel()`` returns True, and the app's workers raise it
between steps; catching this type (not a class name) is how a cancel is told apart from a failure.
"""
from __future__ import annotations


class Cancelled(Exception):
    """Raised when the caller's ``cancel()`` returned True; nothing partial is returned."""
