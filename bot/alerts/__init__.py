"""Real-time alerts: new tickets, and tickets past the response target, pushed to subscribed channels.

`models` holds the plain data, `engine` the pure decisions (which tickets, bundled or not, how long
waited), `store` the tables (alert subscriptions and the once-only alert records) and the mirror reads
they need, `dispatch` the claiming and posting. The Slack side (commands) is `bot.slack.alerts`.
"""
