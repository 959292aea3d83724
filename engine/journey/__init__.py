"""The journey language: blocks, conditions, triggers, validation, and compilation to a versioned plan."""
