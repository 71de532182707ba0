"""Recordings of sessions: ``recorder`` (EDF+ written as a session runs, safe against a crash), ``edf`` (the
EDF+ file, written and read back), ``bids`` (BIDS export, de-identified copies) and ``review`` (a recording
reduced for the browser)."""
