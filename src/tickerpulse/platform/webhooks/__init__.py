"""Alerts delivered by webhook: signed JSON POSTs to a user's own HTTPS endpoint.

``signing`` (the per-user secret and the signature header), ``targets`` (which
URLs may be called: the SSRF guard), ``outbox`` (the user's endpoint and the
durable deliveries in Postgres) and ``delivery`` (sending them, with retries).
"""
