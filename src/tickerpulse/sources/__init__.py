"""Sources: provider connectors, the Source interface and the simulated world."""
