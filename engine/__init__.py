"""The domain core of memberflow: one folder per area (intake, members, rewards, messages, journey, rfm, ab,
analytics, files, access), and at the root only what they all share (settings, clock, database and models, errors,
limits and ranges, cron, logs, the `up` record, the demo shop)."""
