"""The guard on a model's answer: plain text citing what it was given is accepted, anything else is not."""

from __future__ import annotations

import pytest

from bot.report.model_guard import HEADLINE_MAX_CHARS, SUMMARY_LABELS, SUMMARY_MAX_CHARS, check_answer

TICKETS = frozenset({("acme/support", 12), ("acme/support", 13), ("acme/other", 7)})
TEXTS = ("Sync stops after updating to 11.3.0 on macOS.", "Fixed in v11.4.1-beta.2, said the team.")


def check(answer: str, *, max_chars: int = SUMMARY_MAX_CHARS, texts=TEXTS, labels=()):
    return check_answer(answer, tickets=TICKETS, texts=texts, max_chars=max_chars, labels=labels)


def test_plain_sentences_citing_given_tickets_and_versions_are_accepted():
    answer = (
        "Problem: sync stops after 11.3.0 (#12, #13).\n"
        "Affected: macOS users on version 11.3, two reports (issue 12, acme/other#7).\n"
        "Status: fixed in 11.4.1-beta.2. Tell users: update when it is out."
    )
    verdict = check(answer)
    assert verdict.accepted, verdict.reason
    assert verdict.text == " ".join(answer.split())  # one paragraph, whitespace collapsed


def test_list_markers_at_line_starts_are_dropped_not_rejected():
    verdict = check("- Problem: sync stops (#12).\n- Status: no reply yet.")
    assert verdict.accepted and verdict.text == "Problem: sync stops (#12). Status: no reply yet."


@pytest.mark.parametrize("answer", ["", "   \n\t ", None])
def test_an_empty_answer_is_rejected(answer):
    verdict = check_answer(answer, tickets=TICKETS, texts=TEXTS, max_chars=100)
    assert not verdict.accepted and verdict.reason == "empty answer" and verdict.text == ""


def test_too_long_answers_are_rejected_at_each_limit():
    headline = "Sync stops for many people (#12). " * 20
    assert len(headline.strip()) > HEADLINE_MAX_CHARS
    assert "too long" in check(headline, max_chars=HEADLINE_MAX_CHARS).reason
    assert check(headline[:HEADLINE_MAX_CHARS], max_chars=HEADLINE_MAX_CHARS).accepted
    summary = "x" * (SUMMARY_MAX_CHARS + 1)
    assert "too long" in check(summary).reason
    assert "too long" in check("word " * 1_000_000).reason  # a flood is refused before any pattern


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        ("Sync stops (#99).", "#99"),
        ("Sync stops, see issue 99.", "#99"),
        ("Sync stops, see Issue #99 and #12.", "#99"),
        ("Sync stops, see tickets 99.", "#99"),
        ("Sync stops (acme/support#7).", "acme/support#7"),  # #7 exists, but in acme/other
        ("Sync stops (evil/repo#12).", "evil/repo#12"),
    ],
)
def test_a_ticket_it_was_not_given_is_rejected(answer, named):
    verdict = check(answer)
    assert not verdict.accepted
    assert verdict.reason == f"names {named}, which it was not given"


def test_ticket_refs_compare_repositories_case_insensitively():
    assert check("See Acme/Support#12.").accepted


@pytest.mark.parametrize(
    "answer",
    [
        "Fixed in 11.3.2 (#12).",
        "Update to v12.0 now.",
        "Since version 9.1 (#12).",
        "Fixed in 11.4.1 (#12).",  # only its beta was named
    ],
)
def test_a_version_not_in_the_texts_is_rejected(answer):
    verdict = check(answer)
    assert not verdict.accepted and verdict.reason.startswith("names version ")


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        ("Update to version 6 (#12).", "6"),
        ("The v2 client is affected (#12).", "2"),
        ("It broke in 2.1 (#12).", "2.1"),
        ("Build 5.3.1.4 is affected (#12).", "5.3.1.4"),
        ("Two people on 2.5 GB machines (#12).", "2.5"),  # a dotted figure the tickets do not have
    ],
)
def test_every_version_like_number_not_in_the_texts_is_rejected(answer, named):
    verdict = check(answer)
    assert verdict.reason == f"names version {named}, which is not in the tickets"


def test_version_like_numbers_the_texts_have_pass_in_any_form():
    texts = ("Since version 6 the v2 client fails on 2.1 and 5.3.1.4 machines with 2.5 GB.",)
    answer = "Version 6, V2 and v2.1 fail on 5.3.1.4 and 2.5 GB machines (#12)."
    assert check(answer, texts=texts).accepted
    assert check("Since version 11 sync stops (#12).").accepted  # a shorter form of 11.3.0


def test_numbers_that_are_not_versions_pass():
    assert check("Two people on Windows 11 and IPv6 reported it at 10:30, 3 times (#12).").accepted


@pytest.mark.parametrize(
    "answer",
    [
        "Heads up <!channel>: sync stops (#12).",
        "Heads up <!here> (#12).",
        "Heads up <!everyone> (#12).",
        "Ask <@U024BE7LH> about #12.",
        "Discussed in <#C024BE7LR|support>.",
        "Heads up @channel, sync stops.",
        "Heads up @here.",
        "Heads up @everyone.",
        "Thanks to @octocat for #12.",
        "Ask <!subteam^S123|@support> (#12).",
    ],
)
def test_mentions_are_rejected(answer):
    verdict = check(answer)
    assert not verdict.accepted and "mention" in verdict.reason


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("Users wrote to support@acme.example about #12.", "an e-mail address 'support@acme.example'"),
        (
            "Reset your password at orbit-help.com/reset or email help@orbit-help.com (#12).",
            "an e-mail address 'help@orbit-help.com'",
        ),
        ("Reset your password at orbit-help.com/reset (#12).", "a link 'orbit-help.com/reset'"),
        ("Status is on status.Orbit.IO now (#12).", "a link 'status.Orbit.IO'"),
        ("Get it from acme.dev.", "a link 'acme.dev'"),
    ],
)
def test_email_addresses_and_bare_domains_slack_would_link_are_rejected(answer, reason):
    assert check(answer).reason == reason


def test_a_domain_is_rejected_even_when_the_tickets_wrote_it():
    texts = (*TEXTS, "The reporter says the fix at orbit-help.com did not help; see github.com.")
    assert (
        check("The page at orbit-help.com did not help (#12).", texts=texts).reason
        == "a link 'orbit-help.com'"
    )
    assert check("See github.com for #12.", texts=texts).reason == "a link 'github.com'"


def test_file_names_and_abbreviations_are_not_domains():
    answer = "Delete notes.db and config.json, e.g. with README.md steps, i.e. as Node.js users did (#12)."
    assert check(answer).accepted


@pytest.mark.parametrize(
    "answer",
    [
        "See https://evil.example/steal for #12.",
        "See http://127.0.0.1:8080 for #12.",
        "See www.evil.example for #12.",
        "See <https://evil.example|the fix> for #12.",
        "See <mailto:a@b.example|mail>.",
        "See [the fix](https://evil.example) for #12.",
        "Write to mailto:someone for #12.",
    ],
)
def test_links_are_rejected(answer):
    verdict = check(answer)
    assert not verdict.accepted and "link" in verdict.reason


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("Sync *stops* (#12).", "markup"),
        ("Sync **stops** (#12).", "markup"),
        ("Sync _stops_ (#12).", "markup"),
        ("Run `sync --reset` (#12).", "markup"),
        ("Sync ~stops~ (#12).", "markup"),
        ("About ~5 people (#12).", "markup"),
        ("> Sync stops (#12).", "quote"),
        ("Summary:\n> quoted (#12).", "quote"),
        ("# Sync stops\nIt does (#12).", "heading"),
        ("### Problem\nSync stops (#12).", "heading"),
        ("Sync <b>stops</b> (#12).", "HTML tag"),
        ("Sync stops <script>alert(1)</script>.", "HTML tag"),
    ],
)
def test_markup_is_rejected(answer, kind):
    verdict = check(answer)
    assert not verdict.accepted and kind in verdict.reason


def test_identifiers_with_underscores_and_ticket_refs_at_line_start_pass():
    assert check("#12 reports ERR_SYNC_CLOSED when storage_engine stops.").accepted


def test_the_reason_quotes_a_short_piece_of_what_was_found():
    verdict = check("Heads up <!channel> " + "x" * 300)
    assert verdict.reason == "a Slack mention '<!channel>'"
    long_link = check("See https://evil.example/" + "a" * 300)
    assert long_link.reason.startswith("a link 'https://evil.example/") and len(long_link.reason) < 60


GROUP_ANSWER = (
    "Problem: sync stops (#12). Affected: macOS. Status: fixed in 11.4.1-beta.2. Tell users: update."
)


def test_a_group_summary_with_the_four_parts_in_order_is_accepted_in_any_case():
    assert check(GROUP_ANSWER, labels=SUMMARY_LABELS).accepted
    lower = "problem: sync stops (#12).\naffected: macOS.\nstatus: no reply. TELL USERS: nothing yet."
    assert check(lower, labels=SUMMARY_LABELS).accepted


@pytest.mark.parametrize(
    "answer",
    [
        "Sync stops after 11.3.0 for macOS users (#12); no fix yet.",
        "Problem: sync stops (#12). Affected: macOS. Status: no reply.",  # one part missing
        "Problem: sync stops (#12). Status: no reply. Affected: macOS. Tell users: nothing yet.",  # order
        "Problem: sync stops (#12). Affected: macOS. Status: no reply. Status: open. Tell users: wait.",
        "Problem sync stops (#12). Affected macOS. Status no reply. Tell users nothing yet.",  # no labels
    ],
)
def test_a_group_summary_without_the_four_parts_once_and_in_order_is_rejected(answer):
    assert check(answer, labels=SUMMARY_LABELS).reason == "missing the four parts"


def test_a_headline_needs_no_parts():
    assert check("Sync stops after 11.3.0 for macOS users (#12).", max_chars=HEADLINE_MAX_CHARS).accepted
