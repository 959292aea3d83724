"""memberflow's tests: unit (no I/O), integration (real database, real servers)."""
