"""What campaigns earned: the numbers analysts read, each reproducible from the raw rows."""
