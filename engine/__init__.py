"""The domain core of memberflow: settings, database, members and orders, importers, the CLI."""
