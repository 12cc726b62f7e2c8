"""Helpers that need no Django: configuration, identifiers, dates, encryption, CSV decoding."""
