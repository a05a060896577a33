"""Compiled hot queries: the token check, GET by id and list pages.

Peewee rebuilds a query's SQL on every call: building the token query's SQL
costs ~330 µs, running it ~20 µs. Each hot query here is written once as an
ORM query, from the list's declaration (janus.lists: its filters narrow
the query, with values normalised before they reach it) and the one
visibility rule (``janus.access.visible``), but built with stand-in values. Peewee's SQL and
parameter list are kept per database and query shape (which filters, admin
or owner, cursor or not), and each stand-in's place in that list says where
a request's value goes: the SQL is peewee's own, never written by hand.

- ``compiler``: the mechanism (``HotQuery``, ``Slots``, row conversion);
- ``prepared``: on PostgreSQL, each compiled query a prepared statement per
  connection (no parse and plan per request);
- ``reads``: the hot queries themselves, rows straight to response Structs
  (for the token, the two model instances an ``Actor`` holds): no model
  instance per listed row.

Writes, and the reads a write depends on, stay on the ORM (janus.services);
tests/test_hotpath.py holds the compiled reads to ORM forms it builds from the
same declarations, on both backends.
"""
