"""What a report says: cleaned text, error lines, the team's status, relations, headline, exclusions."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import pytest

from bot.report import derived
from bot.report.builder import build_report
from bot.report.drilldown import build_ticket_detail
from bot.report.grouping import find_common_issues
from bot.report.models import Comment, TicketData
from bot.report.options import ReportOptions
from bot.report.relations import team_link_refs, ticket_links
from bot.report.summaries import product_version
from bot.report.team_words import Said, classify, still_fails
from bot.report.text import clean_text, duplicate_refs, error_lines, quote

from .factories import REPO, at, comment, day, ticket

NOW = at("2025-04-14 21:00")
PERIOD = day("2025-04-14")
NO_TEAM: frozenset[str] = frozenset()

SYSTEM_INFO = """System information
Min Version Supported: 3.0.0
Max Version Supported: 4.9.9
CPU: Intel(R) Core(TM) i7-1165G7 @ 2.80GHz (8 cores)
OS Build: 22631.3447
Memory: 16 GB
GPU: Intel Iris Xe Graphics"""


# --- cleaning -----------------------------------------------------------------------------------------


def test_a_pasted_system_information_block_is_dropped_whole():
    text = clean_text(f"The editor freezes when I paste a table.\n\n{SYSTEM_INFO}\n\nIt started today.")
    assert text == "The editor freezes when I paste a table. It started today."


def test_two_key_value_lines_naming_versions_are_a_diagnostic_block_but_one_line_is_kept():
    assert (
        clean_text("Sync stops.\nMin Version Supported: 3.0.0\nMax Version Supported: 4.9.9") == "Sync stops."
    )
    assert clean_text("Sync stops.\nNote: only on Wi-Fi") == "Sync stops. Note: only on Wi-Fi."


def test_json_dumps_tables_and_quoted_replies_are_dropped():
    body = (
        "Export fails for big notes.\n{\n"
        '  "id": 12,\n  "status": "failed",\n  "reason": "quota"\n}\n'
        "| CPU | i7 |\n| RAM | 16 GB |\n"
        "> Did you try restarting?\n"
        "Restarting did not help.\n\n"
        "On Mon, 14 Apr 2025 at 10:00, Dana <dana@acme.test> wrote:\nPlease restart the app."
    )
    assert clean_text(body) == "Export fails for big notes. Restarting did not help."


# --- error lines ----------------------------------------------------------------------------------------


def test_error_lines_keep_urls_and_quotes_and_drop_frames():
    body = (
        "After the update:\n```\n2025-06-02 10:00:01 [ERROR] Unhandled exception:\n"
        "FormatException: Invalid port (at character 18)\nhttp://127.0.0.1:null/connect\n"
        "#0 main (package:x/main.dart:3)\n```\n"
        'Exception in thread "main" java.lang.IllegalStateException: Sync closed at com.x.Y.run(Y.java:3)\n'
        "> ValueError: only quoted\n"
    )
    assert error_lines(body, limit=5) == [
        "FormatException: Invalid port (at character 18) http://127.0.0.1:null/connect",
        "java.lang.IllegalStateException: Sync closed",
    ]


def test_quote_never_doubles_quotes():
    assert quote('"FormatException: Invalid port."') == "“FormatException: Invalid port”"
    assert quote("`code`") == "“code”"
    assert quote("") == ""


# --- the team's words -------------------------------------------------------------------------------------


def test_a_fix_announced_with_its_version_on_the_next_line_keeps_the_version():
    said = classify(
        "Sorry to hear this, we have a possible fix in the next release in roughly 30 min:\n4.2.1"
    )
    assert said.kind == "fix_coming" and said.version == "4.2.1"
    assert said.sentence.startswith("We have a possible fix")  # the apology is not the team's word


def test_team_comments_are_classified_most_settled_first():
    assert classify("4.2.1 is out with the fix, please update.").kind == "fix_released"
    assert classify("Fixed in v4.2.1").version == "4.2.1"
    assert classify("As a workaround, delete the cache folder and restart.").kind == "workaround"
    assert classify("Could you send us the logs?").kind == "needs_info"
    assert classify("We're looking into this.").kind == "investigating"
    assert classify("Thanks!").kind == "answered"
    assert classify("") is None


def test_a_reporter_saying_it_still_fails_is_found_and_thanks_are_not():
    assert still_fails("Updated to 4.2.1 and it still fails with the same error.")
    assert still_fails("The update did not fix it for me.")
    assert still_fails("Works now, thanks!") is None


def _crash_group():
    a = ticket(
        1,
        created="2025-04-14 08:00",
        title="Crash on start after update",
        body="### Your Lumen Desktop Version\n\n4.2.0\n\n### What happened\n\n"
        "The app crashes on start with FormatException: Invalid port (at character 18)\n"
        "http://127.0.0.1:null/connect",
        comments_count=3,
    )
    b = ticket(
        2,
        created="2025-04-14 08:30",
        title="App crashes on start, invalid port",
        body=(
            "Lumen Desktop 4.2.0 crashes on start.\n```\nFormatException: Invalid port (at character 18)\n```"
        ),
        comments_count=0,
    )
    said = [
        comment(
            a,
            at_="2025-04-14 09:00",
            author="dana",
            association="MEMBER",
            body="Sorry to hear this, we have a possible fix in the next release:\n4.2.1",
        ),
        comment(
            a,
            at_="2025-04-14 12:00",
            author="dana",
            association="MEMBER",
            body="4.2.1 is out with the fix, please update.",
        ),
        comment(a, at_="2025-04-14 15:00", author="erin", body="Updated to 4.2.1 and it still fails."),
    ]
    return [a, b], said


def test_a_group_summary_names_the_error_product_fix_and_that_the_fix_fails():
    tickets, said = _crash_group()
    (group,) = find_common_issues(tickets, said, team_logins=NO_TEAM)
    parts = group.parts
    assert parts.error == "FormatException: Invalid port (at character 18) http://127.0.0.1:null/connect"
    assert parts.problem.text.startswith("“FormatException: Invalid port (at character 18)")
    assert '""' not in parts.problem.text
    assert (parts.product, parts.version) == ("Lumen Desktop", "4.2.0")
    assert parts.status_kind == "fix_released"
    assert parts.status.text == (
        "Fix released in 4.2.1 (dana on #1, 14 Apr 2025), but a reporter says it still fails (#1)."
    )
    assert "erin says “Updated to 4.2.1 and it still fails”" in parts.fix_fails.text
    assert [t.number for t in parts.fix_fails.tickets] == [1]
    assert "no workaround yet" in parts.tell_users.text


# --- relations ------------------------------------------------------------------------------------------


def test_team_links_are_read_from_phrases_and_urls_of_the_same_repository():
    text = (
        f"Same as #12. Similar issue to https://github.com/{REPO}/issues/30 and "
        "https://github.com/other/repo/issues/31; see also #40"
    )
    assert team_link_refs(text, repo=REPO) == [12, 30, 40]


def test_only_the_teams_links_count_and_a_duplicate_wins():
    t = ticket(5, created="2025-04-14 08:00", comments_count=3)
    said = [
        comment(t, at_="2025-04-14 09:00", body="same as #7 for me"),  # a user: not a team link
        comment(t, at_="2025-04-14 10:00", author="m", association="MEMBER", body="Similar issue to #8"),
        comment(
            t, at_="2025-04-14 11:00", author="m", association="MEMBER", body="Duplicate of #9. Same as #9"
        ),
    ]
    got = {(link.target, link.kind, link.by_team) for link in ticket_links(t, said, team_logins=NO_TEAM)}
    assert got == {(8, "team_link", True), (9, "duplicate", True)}


def test_a_team_link_between_unrelated_texts_is_related_only_but_between_similar_ones_joins():
    sync = ticket(
        1,
        created="2025-04-14 08:00",
        title="Sync stops after an hour on Wi-Fi",
        body="Notes stop syncing after about an hour; restarting sync helps for a while.",
    )
    sync2 = ticket(
        2,
        created="2025-04-14 08:00",
        title="Notes no longer sync after some time",
        body="After some time notes no longer sync between laptop and phone.",
    )
    printing = ticket(
        3,
        created="2025-04-14 08:00",
        title="Printing a note cuts off images",
        body="When I print a note with pictures, the images are cut in half on paper.",
    )
    link = comment(
        printing,
        at_="2025-04-14 09:00",
        author="m",
        association="MEMBER",
        body=f"similar issue to https://github.com/{REPO}/issues/1",
    )
    link2 = comment(sync2, at_="2025-04-14 09:00", author="m", association="MEMBER", body="Same as #1")
    groups = find_common_issues([sync, sync2, printing], [link, link2], team_logins=NO_TEAM)
    assert [[t.number for t in g.tickets] for g in groups] == [[1, 2]]
    detail = build_ticket_detail(
        printing, [link], now=NOW, period=PERIOD, options=ReportOptions(), context=None
    )
    assert [(r.number, r.relation) for r in detail.related] == [(1, "team_link")]


# --- builder: headline and exclusions ---------------------------------------------------------------------


def test_pinned_announcement_and_configured_issues_are_left_out_and_counted():
    pinned = replace(ticket(1, created="2025-01-01 08:00", title="Scheduled maintenance"), pinned=True)
    announcement = ticket(2, created="2025-04-14 08:00", labels=("Announcement",))
    configured = ticket(3, created="2025-04-14 08:00")
    real = ticket(4, created="2025-04-14 08:00", labels=("bug",))
    said = [comment(t, at_="2025-04-14 10:00", author="u") for t in (pinned, announcement, configured, real)]
    options = ReportOptions(exclude_issues=frozenset({(None, 3)}))
    data = TicketData(tickets=(pinned, announcement, configured, real), comments=tuple(said))
    report = build_report(data, period=PERIOD, now=NOW, repos=[REPO], options=options)
    assert [s.ticket.number for s in report.tickets] == [4]
    assert {(e.reason, tuple(t.number for t in e.tickets)) for e in report.excluded} == {
        ("pinned", (1,)),
        ("labelled Announcement", (2,)),
        ("excluded in the config", (3,)),
    }
    assert not any(r.kind == "long_open" for r in report.recommendations)
    kept = build_report(
        data,
        period=PERIOD,
        now=NOW,
        repos=[REPO],
        options=ReportOptions(exclude_pinned=False, exclude_labels=frozenset()),
    )
    assert len(kept.tickets) == 4 and kept.excluded == ()


def test_the_headline_names_the_main_problem_its_fix_and_the_longest_wait():
    tickets, said = _crash_group()
    waiting = ticket(9, created="2025-04-13 07:00", title="Cannot log in", labels=("bug",), comments_count=1)
    bump = comment(waiting, at_="2025-04-14 10:00", author="user9", body="Any news?")
    team_own = ticket(10, created="2025-04-01 07:00", title="Tracking: login", association="MEMBER")
    data = TicketData(
        tickets=(*tickets, waiting, team_own),
        comments=(*said, bump, comment(team_own, at_="2025-04-14 10:00", author="x")),
        comments_since=at("2025-04-01 00:00"),
    )
    report = build_report(data, period=PERIOD, now=NOW, repos=[REPO], options=ReportOptions())
    text = report.headline.text
    assert text.startswith(
        "The main problem is “FormatException: Invalid port (at character 18) http://127.0.0.1:null/connect” "
        "on Lumen Desktop 4.2.0: 2 tickets from 3 people (#1, #2)."
    )
    assert "A reporter says the fix in 4.2.1 does not work (#1)." in text
    assert text.endswith(
        "#9 has waited longest for a first team reply (1d 17h); 2 tickets are waiting in all."
    )
    assert {t.number for t in report.headline.tickets} == {1, 2, 9}


def test_an_empty_period_says_so_in_one_line_and_names_what_still_waits():
    old = ticket(9, created="2025-04-10 07:00", title="Cannot log in", labels=("bug",))
    data = TicketData(tickets=(old,), comments=(), comments_since=at("2025-04-01 00:00"))
    report = build_report(data, period=PERIOD, now=NOW, repos=[REPO], options=ReportOptions())
    assert report.headline.text == (
        "No ticket activity in 2025-04-14 to 2025-04-14; "
        "1 ticket still waits for a first team reply: #9 (4d 17h)."
    )
    nothing = build_report(TicketData((), ()), period=PERIOD, now=NOW, repos=[REPO], options=ReportOptions())
    assert nothing.headline.text.endswith("and no ticket is waiting for a first team reply.")


def test_short_lines_naming_a_metadata_word_are_kept_unless_they_caption_a_block():
    assert clean_text("Cannot log in, page reloads") == "Cannot log in, page reloads."
    assert clean_text("Wrong version shown") == "Wrong version shown."
    assert clean_text("**Environment**\nSync stops") == "Sync stops."
    assert clean_text("Logs:\nSync stops") == "Sync stops."


def test_the_product_version_is_never_a_diagnostic_field_even_inside_the_version_answer():
    body = (
        "### Software\n\nPieces-like OS\n\n### Your Version\n\n"
        "```\nMin Version Supported: 3.0.0\nMax Version Supported: 4.9.9\nVersion: 11.3.0\n```\n\n"
        "### Describe the bug\n\nIt crashes.\n"
    )
    assert product_version(ticket(1, created="2025-04-14 08:00", body=body)) == ("Pieces-like OS", "11.3.0")
    only_diagnostics = f"The app crashes when I open settings.\n\n{SYSTEM_INFO}"
    assert product_version(ticket(2, created="2025-04-14 08:00", body=only_diagnostics)) == (None, None)


def test_hostile_spacing_and_repetition_do_not_backtrack():
    """Each call is linear: before, 20,000 spaces after "see" took seconds in one comment."""
    spaces = " " * 60_000
    for hostile in ("see" + spaces + "x", "dup" + spaces + "x", "same as " * 8000, "a: b\n" * 100_000):
        assert team_link_refs(hostile, repo=REPO) == []
        classify(hostile)
        still_fails(hostile)
        error_lines(hostile)
        clean_text(hostile)


def test_the_teams_instructions_keep_their_addresses_and_reporters_words_do_not():
    said = classify(
        "As a workaround, download the previous build from https://example.test/releases/v5.2.4 today."
    )
    assert "https://example.test/releases/v5.2.4" in said.sentence
    assert still_fails("Still fails, see https://example.test/x/y") == "Still fails, see example.test"


def test_error_lines_keep_their_own_quotes_and_lose_the_sentences():
    assert error_lines("It fails with 'SyncError: remote closed'.") == ["SyncError: remote closed"]
    assert error_lines('The app shows "FormatException: bad port".') == ["FormatException: bad port"]
    assert error_lines("KeyError: 'account_id'") == ["KeyError: 'account_id'"]
    assert error_lines("I get `TypeError: x is undefined` when I click") == ["TypeError: x is undefined"]
    assert error_lines("System.IO.IOException: The file is in use") == [
        "System.IO.IOException: The file is in use"
    ]
    assert quote("KeyError: 'account_id'") == "“KeyError: 'account_id'”"


def test_doubted_or_asked_duplicates_are_no_duplicates():
    assert duplicate_refs("I don't think this is a duplicate of #601 - different feature.") == []
    assert duplicate_refs("Isn't this a duplicate of #601?") == []
    assert duplicate_refs("Closing: duplicate of #601. Is #7 related?") == [601]


def test_a_canned_team_reply_linking_to_a_faq_issue_groups_nothing():
    faq = ticket(
        350,
        created="2025-04-14 07:00",
        title="How to collect logs for a bug report",
        body="Open Help, then Troubleshooting, then Collect logs and attach the zip file.",
    )
    printing = ticket(
        1,
        created="2025-04-14 08:00",
        title="Printing gives a blank page",
        body="When I print an email the printed page is blank.",
    )
    contacts = ticket(
        2,
        created="2025-04-14 08:00",
        title="Contacts import skips rows",
        body="Importing contacts from a CSV file skips every second row.",
    )
    spelling = ticket(
        3,
        created="2025-04-14 08:00",
        title="Spell check underlines every word",
        body="Spell check marks every word as wrong since yesterday.",
    )
    canned = (
        "Thanks! Please collect the logs as described in "
        f"https://github.com/{REPO}/issues/350 and attach them here so we can look into it."
    )
    said = [
        comment(t, at_="2025-04-14 09:00", author="m", association="MEMBER", body=canned)
        for t in (printing, contacts, spelling)
    ]
    said.append(comment(faq, at_="2025-04-14 09:30", author="u", body="Where is the Help menu on Linux?"))
    assert find_common_issues([faq, printing, contacts, spelling], said, team_logins=NO_TEAM) == ()


def test_a_workaround_given_with_an_announced_fix_is_what_users_are_told():
    said = classify("As a workaround, rename notes.db and restart. A fix is coming in 3.2.1.")
    assert (said.kind, said.version) == ("fix_coming", "3.2.1")
    assert said.workaround == "As a workaround, rename notes.db and restart."


def test_two_short_tickets_alike_only_by_everyday_product_words_are_not_one_problem():
    texts = [
        (
            "Search returns nothing for older emails",
            "Searching older than March returns no results, though the emails are in the folder.",
        ),
        ("Can't drag emails to folders", "Drag and drop of emails into a folder is broken on Linux."),
        ("Printing gives a blank page", "When I print, the page is blank."),
        ("Spell check underlines every word", "Spell check marks every word wrong."),
        ("Calendar invites one hour off", "Invites show the wrong hour."),
        ("Dark mode resets", "Dark mode turns off after restart."),
    ]
    tickets = [ticket(i, created="2025-04-14 08:00", title=t, body=b) for i, (t, b) in enumerate(texts, 1)]
    # The first two are over the similarity threshold by "emails", "folder" and "email folder" alone.
    assert find_common_issues(tickets, [], team_logins=NO_TEAM) == ()


def test_a_one_line_json_response_is_a_dump():
    body = 'Login fails.\n{"error":{"code":401,"message":"Invalid credentials"}}\nThen nothing happens.'
    assert clean_text(body) == "Login fails. Then nothing happens."


# --- what a comment says, derived once and stored (bot.report.derived) ---------------------------------


def _with_stored_words(comments: list[Comment]) -> list[Comment]:
    """The comments as the ticket mirror hands them over: what each says, encoded beside it."""
    return [
        dataclasses.replace(c, words=derived.encode_words(derived.comment_words(c.body))) for c in comments
    ]


def test_stored_words_give_the_summary_the_comments_themselves_give():
    tickets, said = _crash_group()
    (read,) = find_common_issues(tickets, said, team_logins=NO_TEAM)
    (stored,) = find_common_issues(tickets, _with_stored_words(said), team_logins=NO_TEAM)
    assert stored.parts == read.parts
    assert stored.parts.status_kind == "fix_released"


def test_a_summary_reads_the_stored_words_not_the_body_again():
    tickets, said = _crash_group()
    # What a store derived is what counts: here it says the team (dana) only asked for logs.
    asked = derived.Words(
        said=Said(kind="needs_info", sentence="Could you send us the logs?", version=None), fails=None
    )
    stored = [
        dataclasses.replace(
            c, words=derived.encode_words(asked if c.author == "dana" else derived.comment_words(c.body))
        )
        for c in said
    ]
    (group,) = find_common_issues(tickets, stored, team_logins=NO_TEAM)
    assert group.parts.status_kind == "needs_info"
    assert group.parts.fix_fails is None  # no fix was announced, so nothing "still fails" after one


def test_unreadable_stored_words_are_read_from_the_body_instead():
    tickets, said = _crash_group()
    garbled = [dataclasses.replace(c, words="not\x1fwhat encode_words writes") for c in said]
    (read,) = find_common_issues(tickets, said, team_logins=NO_TEAM)
    (group,) = find_common_issues(tickets, garbled, team_logins=NO_TEAM)
    assert group.parts == read.parts


@pytest.mark.parametrize(
    "body",
    [
        "",
        "Thanks! Fixed in 5.3.1, please update.\n\nStill fails for me after updating to 5.3.1 though.",
        "A fix is coming in the next release; as a workaround, delete the cache folder.",
        "Could you share the logs?",
        "I updated and it still crashes. Same error after the update.",
        "Sentence with a \x1f separator inside, fixed in 2.0.1.",
    ],
)
def test_encoded_words_decode_to_what_was_derived(body: str):
    words = derived.comment_words(body)
    stored = derived.encode_words(words)
    assert derived.decode_words(stored) == words
    assert derived.said_of(body, stored) == words.said == derived.said_of(body, None)
    assert derived.fails_of(body, stored) == words.fails == derived.fails_of(body, None)


def test_a_separator_in_a_comment_reads_as_the_space_it_stands_for():
    body = "We pushed a fix\x1fit is out in 2.0.1, please update."
    said = derived.said_in(body)
    assert said is not None and said.kind == "fix_released"
    assert "\x1f" not in said.sentence
    assert derived.decode_words(derived.encode_words(derived.comment_words(body))).said == said


@pytest.mark.parametrize(
    "stored",
    ["bogus\x1fa\x1f\x1f\x1f", "answered\x1f\x1f\x1f\x1f", "garbage", "a\x1fb\x1fc"],
)
def test_stored_words_that_do_not_decode_are_read_from_the_body(stored: str):
    body = "Fixed in 2.0.1. I updated to 2.0.1 and it still fails."
    assert derived.said_of(body, stored) == derived.said_in(body)
    assert derived.fails_of(body, stored) == derived.fails_in(body) is not None


@pytest.mark.parametrize("text", ["", "garbage", "bogus\x1fa\x1f\x1f\x1f", "answered\x1f\x1f\x1f\x1f"])
def test_anything_else_does_not_decode(text: str):
    assert derived.decode_words(text) is None
