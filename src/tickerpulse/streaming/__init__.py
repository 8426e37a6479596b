"""The live path: Finnhub trades → bus → event-time bars → Postgres ``live_bar`` and the lake.

``bars`` and ``wire`` are pure (bar maths, the Finnhub message format); ``finnhub``
(the websocket client), ``replay`` (a local server speaking the same format),
``bus`` (in-process or Kafka) and ``processor`` (bars into Postgres and the lake)
are the edges.
"""
