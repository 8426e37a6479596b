"""Enrichment: normalize raw records, tag asset mentions, score sentiment — pure, batch-wise."""
