"""Scheduling's pure cores: free-time arithmetic, the appointment catalogue, iCalendar files and reminder rules.

Nothing here imports web, database or template code (an import-linter contract checks it), so each can be
tested with plain values.
"""
