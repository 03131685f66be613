"""The Slack side of the bot: Bolt listeners (thin), the command parser, the Web API poster.

Only this package imports `slack_sdk` / `slack_bolt`. `app.build_app` registers every listener in one
place; `bot.app_runner` composes it with the GitHub source and serves it.
"""
