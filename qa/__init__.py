"""Grounded question answering over medical-information response letters."""

__version__ = "0.1.0"
