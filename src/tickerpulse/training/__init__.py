"""Training and evaluating models from labelled data folders (I/O lives here, not in enrich/)."""
