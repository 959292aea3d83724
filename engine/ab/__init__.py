"""A/B tests: assignment to arms, the statistics that compare them, and the reports analysts read."""
