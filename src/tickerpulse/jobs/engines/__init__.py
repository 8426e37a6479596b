"""Aggregation engines: DuckDB (embedded, default); Spark arrives with issue 9."""
