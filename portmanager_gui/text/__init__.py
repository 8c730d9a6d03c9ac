"""Sentences for people, made from the core's typed values; used by the CLI and the UI, never by core.

``supervisor``: starts, stops and the supervisor's events; ``state``: a damaged state record;
``kill``: why a process may not be killed; ``rows``: the port table's notes and the tray summary. The core hands over facts (enums, ports, pids,
paths, log lines); each face picks the sentences it shows from here.
"""
