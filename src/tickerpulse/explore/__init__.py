"""Reader tools over published rows: ticker search, table sorting, history ranges and CSV export.

Pure: no request, no database. The web layer resolves what a reader asked for
with these and reads the marts accordingly.
"""
