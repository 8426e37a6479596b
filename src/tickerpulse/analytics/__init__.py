"""Analytics: how sentiment and attention relate to prices, and next-window predictions.

Pure functions over the panel (:mod:`.panel`): DataFrames in, DataFrames and
dataclasses out; nothing here opens a file or a connection except the thin
edges :mod:`.marts` (reads the marts) and :mod:`.artifacts` (saves models).
"""
