"""Settings fail fast, naming every variable or config key to fix at once."""

import pytest

from bot.settings import SettingsError, load_settings


def test_every_problem_is_named_in_one_error(tmp_path):
    config = tmp_path / "c.yml"
    config.write_text("timezone: Mars/Base\ntop: 0\nunknown_key: 1\n")
    env = {"PORT": "abc", "TICKET_REPORT_REPOS": "ok/repo,not a repo", "TICKET_REPORT_CONFIG": str(config)}
    with pytest.raises(SettingsError) as raised:
        load_settings(env, slack=True)
    text = str(raised.value)
    for needle in (
        "PORT",
        "TICKET_REPORT_REPOS",
        "timezone",
        "top",
        "unknown_key",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
    ):
        assert needle in text, needle


def test_slack_variables_are_required_only_for_the_slack_app():
    settings = load_settings({"TICKET_REPORT_REPOS": "o/a, o/b"})
    assert settings.repos == ("o/a", "o/b")
    with pytest.raises(SettingsError, match="xoxb-"):
        load_settings({"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_SIGNING_SECRET": "s"}, slack=True)


def test_config_values_reach_the_report_options(tmp_path):
    config = tmp_path / "c.yml"
    config.write_text(
        "team_logins: [Helper]\nexclude_labels: [Announcement]\nresponse_target_hours: 4\n"
        "score_weights: {community_comment: 5}\n"
    )
    options = load_settings({}, config_path=str(config)).report_options(top=3)
    assert (
        options.top_n == 3
        and options.team_logins == {"helper"}
        and options.exclude_labels == {"announcement"}
    )
    assert options.response_target.total_seconds() == 4 * 3600 and options.weights.community_comment == 5
