"""Where tickets come from: GitHub's REST API (`github`, the only module that imports PyGithub), its JSON
turned into our models (`payloads`), and the per-process budget for GitHub's search API
(`search_limit`). The ticket mirror, a source kept in the bot's database, is `bot.mirror`."""
