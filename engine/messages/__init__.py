"""Messages to members: templates rendered in a sandbox, the rules at send time (consent, quiet hours, frequency
cap), and the record of every message from intent to result."""
