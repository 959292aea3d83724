"""The `memberflow` command: an entry point beside `web/`, one module per command group."""
