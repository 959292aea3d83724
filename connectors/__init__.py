"""The outside world: the Temporal client and its embedded dev server, later SMTP, SMS and webhooks."""
