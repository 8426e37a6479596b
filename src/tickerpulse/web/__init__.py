"""The web site: server-rendered pages over the Postgres marts."""
