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


def test_exclusions_workflow_labels_and_label_rise_reach_the_report_options(tmp_path):
    config = tmp_path / "c.yml"
    config.write_text(
        "exclude_labels: [Notice]\nexclude_issues: [12, 'octo/support#40', '#7']\nexclude_pinned: false\n"
        "workflow_labels: ['State/*']\nlabel_rise_min: 4\nlabel_rise_factor: 3\n"
    )
    options = load_settings({}, config_path=str(config)).report_options()
    assert options.exclude_labels == frozenset({"notice"})
    assert options.exclude_issues == frozenset({(None, 12), ("octo/support", 40), (None, 7)})
    assert options.exclude_pinned is False
    assert options.workflow_labels == ("state/*",)
    assert (options.label_rise_min, options.label_rise_factor) == (4, 3)


def test_by_default_announcements_and_pinned_issues_are_not_tickets():
    options = load_settings({}).report_options()
    assert options.exclude_labels == frozenset({"announcement", "pinned"}) and options.exclude_pinned


def test_a_malformed_excluded_issue_is_named(tmp_path):
    config = tmp_path / "c.yml"
    config.write_text("exclude_issues: [0, 'not an issue']\n")
    with pytest.raises(SettingsError, match=r"exclude_issues.*not an issue"):
        load_settings({}, config_path=str(config))


def test_the_model_needs_both_its_url_and_its_name():
    settings = load_settings(
        {
            "TICKET_REPORT_LLM_URL": "http://127.0.0.1:8080/v1/",
            "TICKET_REPORT_LLM_MODEL": "m",
            "TICKET_REPORT_LLM_KEY": "k",
        }
    )
    assert (settings.llm_url, settings.llm_model, settings.llm_key) == ("http://127.0.0.1:8080/v1", "m", "k")
    assert load_settings({}).llm_url is None
    with pytest.raises(SettingsError) as raised:
        load_settings({"TICKET_REPORT_LLM_URL": "ftp://x"})
    assert "TICKET_REPORT_LLM_URL must be an http(s)" in str(raised.value)
    assert "TICKET_REPORT_LLM_MODEL is not set" in str(raised.value)
    with pytest.raises(SettingsError, match="TICKET_REPORT_LLM_URL is not set"):
        load_settings({"TICKET_REPORT_LLM_MODEL": "m"})


def test_port_is_read_only_by_the_slack_app():
    # `clock` and the reports never listen; a platform's PORT (or a stray one) does not stop them
    assert load_settings({"PORT": "web"}).port == 3000
    slack = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert load_settings({**slack, "PORT": "8080"}, slack=True).port == 8080
    with pytest.raises(SettingsError, match="PORT must be a number"):
        load_settings({**slack, "PORT": "web"}, slack=True)


def test_socket_mode_needs_no_signing_secret():
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, slack=True)
    assert settings.slack_app_token == "xapp-1" and settings.slack_signing_secret is None
    with pytest.raises(SettingsError) as raised:
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}, slack=True)
    assert "SLACK_SIGNING_SECRET is not set" in str(raised.value) and "SLACK_APP_TOKEN" in str(raised.value)


def test_one_problem_is_one_line():
    with pytest.raises(SettingsError) as raised:
        load_settings({"DATABASE_URL": "mysql://x"})
    assert str(raised.value) == "DATABASE_URL must be sqlite:///PATH or postgresql://USER@HOST/DB"


@pytest.mark.parametrize("url", [None, "sqlite:///ticket-report.db", "sqlite://", "sqlite:///:memory:"])
def test_a_process_sharing_the_work_refuses_a_database_of_its_own(url):
    settings = load_settings({"DATABASE_URL": url} if url else {})
    with pytest.raises(SettingsError) as raised:
        settings.require_shared_database("python -m bot clock")
    text = str(raised.value)
    assert text.startswith("DATABASE_URL is ") and "`python -m bot clock` shares the work" in text
    assert "database of its own" in text and "\n" not in text
    assert "postgresql://" in text and "python -m bot serve` alone" in text


@pytest.mark.parametrize("url", ["sqlite:////srv/shared/bot.db", "postgresql://bot@db/bot"])
def test_a_database_the_processes_can_share_is_accepted(url):
    load_settings({"DATABASE_URL": url}).require_shared_database("python -m bot clock")


def test_the_period_bound_is_read_from_the_config_and_at_least_a_week(tmp_path):
    assert load_settings({}).config.max_period_days == 400
    config = tmp_path / "c.yml"
    config.write_text("max_period_days: 90\n")
    assert load_settings({"TICKET_REPORT_CONFIG": str(config)}).config.max_period_days == 90
    config.write_text("max_period_days: 6\n")
    with pytest.raises(SettingsError, match="max_period_days"):
        load_settings({"TICKET_REPORT_CONFIG": str(config)})
