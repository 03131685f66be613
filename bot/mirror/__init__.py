"""The ticket mirror kept current: sync from the GitHub API, webhooks, and reports read from it."""
