"""Acting on a ticket from Slack: close, reopen, label, assign, reply; each written once and recorded."""
