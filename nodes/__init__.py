"""Journey blocks, one module per block type, listed in a registry (arrives with the journeys issue)."""
