"""Members, orders and events coming in: record validation, CSV import, the API's intake, and saving them."""
