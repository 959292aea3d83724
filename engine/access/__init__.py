"""Who may use the API: API tokens (stored as hashes)."""
