"""Plain text from untrusted GitHub markdown: boilerplate, code and logs out, the reporter's words in."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.report.text import (
    clean_lines,
    clean_text,
    duplicate_refs,
    excerpt,
    find_versions,
    form_fields,
    join_lines,
)

FORM_BODY = """### Checked for Existing Issues?

- [X] Yes

### Software

Acme OS

### Operating System / Platform

macOS

### Your Acme OS Version

11.3.0

### Kindly describe the bug and include as much detail as possible on what you were doing \
so we can reproduce the bug.

After updating to 11.3.0 the app won't launch. It shows a **database error** on start.

### Relevant log output

_No response_
"""

DART_LOG = """2025-04-14 10:00:01.123 [INFO] starting services
2025-04-14 10:00:02.456 [ERROR] StateError: Bad state: storage engine closed.
#0      _rootRun (dart:async/zone.dart:1399:13)
#1      _CustomZone.run (dart:async/zone.dart:1301:10)
#2      main (package:app/main.dart:42:7)"""


# --- clean_text ------------------------------------------------------------------------------------


def test_issue_form_boilerplate_is_dropped_and_the_description_kept():
    text = clean_text(FORM_BODY)
    assert text == "After updating to 11.3.0 the app won't launch. It shows a database error on start."


def test_metadata_answers_are_dropped_but_free_text_questions_kept():
    body = "### Which browser?\n\nFirefox\n\n### What happened?\n\nThe sidebar flickers"
    assert clean_text(body) == "The sidebar flickers."


def test_checkboxes_html_comments_and_bold_labels_are_dropped():
    body = (
        "<!-- Please fill in the template -->\n**Describe the bug**\n"
        "- [ ] I searched\n* [x] I read the docs\nSync stops after an hour"
    )
    assert clean_text(body) == "Sync stops after an hour."


def test_an_unclosed_html_comment_hides_the_rest_like_github_does():
    assert clean_text("Visible text here\n<!-- hidden\nsecret words") == "Visible text here."


def test_fenced_code_is_dropped_even_when_never_closed():
    body = "Before the code\n```python\nprint('x')\n```\nBetween\n~~~\nrest is code\nforever"
    assert clean_text(body) == "Before the code. Between."


def test_a_pasted_log_is_dropped_keeping_only_the_error_it_names():
    text = clean_text(f"The app quits at start.\n{DART_LOG}\nPlease help")
    assert text == ("The app quits at start. StateError: Bad state: storage engine closed. Please help.")
    assert "2025-04-14" not in text and "zone.dart" not in text


def test_a_single_stack_frame_is_dropped_but_a_single_log_line_kept():
    text = clean_text("at com.acme.Main.run(Main.java:12)\n2025-04-14 10:00 sync failed once\nDone")
    assert text == "2025-04-14 10:00 sync failed once. Done."


def test_python_tracebacks_and_hex_dumps_are_dropped():
    body = (
        "Crash when saving\nTraceback (most recent call last):\n"
        '  File "app.py", line 3, in <module>\n    main()\n'
        "0x7ff8a1b2c3d4 0x7ff8a1b2c3e5 0x7ff8a1b2c3f6\n0x00000001 0x00000002 0x00000003\n"
        "ValueError: bad snippet id"
    )
    assert clean_text(body) == "Crash when saving. ValueError: bad snippet id."


def test_links_images_urls_mentions_and_markup_are_reduced_to_words():
    body = (
        "See [the docs](https://docs.acme.dev/setup) and https://www.acme.dev/support/page?x=1 "
        "![screenshot](https://i.imgur.com/x.png) <img src='a.png'> thanks @alice :smile: "
        "`code` ~~old~~ &amp; more"
    )
    assert clean_text(body) == "See the docs and acme.dev thanks code old & more."


def test_whitespace_is_collapsed_and_lines_become_sentences():
    assert clean_text("  first   line  \n\n\n\tsecond line!  \r\nthird") == "first line. second line! third."


def test_empty_and_none_bodies_give_empty_text():
    assert clean_text(None) == ""
    assert clean_text("") == ""
    assert clean_text("```\nonly code\n```") == ""
    assert clean_lines(None) == []


def test_output_respects_max_chars_at_a_word_boundary():
    text = clean_text("word " * 2000, max_chars=100)
    assert len(text) <= 100
    assert text.endswith("word…")


def test_a_five_megabyte_log_is_cut_before_it_is_read():
    log = "2025-04-14 10:00:01.123 [INFO] worker processed batch 0xdeadbeef in /var/lib/app/data\n" * 60_000
    assert len(log) > 5_000_000
    text = clean_text(f"Intro sentence\n{log}tail words", max_chars=4000)
    assert text == "Intro sentence."


def test_hostile_inputs_that_would_backtrack_finish():
    for hostile in ("<!--" * 500_000, "[" * 1_000_000, "<a" * 500_000, "### a\n" * 300_000, "](" * 500_000):
        assert len(clean_text(hostile)) <= 4000
        form_fields(hostile)
        find_versions(hostile)
        duplicate_refs(hostile)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000), st.integers(min_value=1, max_value=500))
def test_clean_text_is_one_bounded_line_without_code_markup(markdown, limit):
    text = clean_text(markdown, max_chars=limit)
    assert len(text) <= limit
    assert "\n" not in text and "`" not in text
    assert text == text.strip()


def test_join_lines_adds_full_stops_only_where_missing():
    assert join_lines(["One", "Two.", "Three?", ""]) == "One. Two. Three?"


# --- form_fields -----------------------------------------------------------------------------------


def test_form_fields_reads_the_answers_of_an_issue_form():
    fields = form_fields(FORM_BODY)
    assert fields["operating system / platform"] == "macOS"
    assert fields["your acme os version"] == "11.3.0"
    assert fields["software"] == "Acme OS"
    assert fields["checked for existing issues?"] == "- [X] Yes"
    assert "relevant log output" not in fields  # "_No response_"


def test_form_fields_keeps_headings_inside_code_as_answer_text():
    body = "### Logs\n\n```\n### not a question\nline\n```\n\n### Platform\n\nWindows, Linux"
    fields = form_fields(body)
    assert fields["platform"] == "Windows, Linux"
    assert "### not a question" in fields["logs"]


def test_form_fields_of_free_text_and_nothing_is_empty():
    assert form_fields("Just a plain description") == {}
    assert form_fields(None) == {}
    assert form_fields("") == {}


def test_form_field_answers_are_bounded():
    fields = form_fields("### Logs\n\n" + "x " * 100_000)
    assert len(fields["logs"]) <= 1000


# --- excerpt ---------------------------------------------------------------------------------------


def test_excerpt_cuts_at_a_word_boundary_with_an_ellipsis():
    assert excerpt("The quick brown fox jumps over the lazy dog", limit=20) == "The quick brown fox…"


def test_excerpt_leaves_short_text_alone_but_collapses_whitespace():
    assert excerpt("  short \n text ", limit=20) == "short text"


def test_excerpt_of_one_long_word_cuts_inside_it():
    assert excerpt("x" * 50, limit=10) == "x" * 9 + "…"


def test_excerpt_edge_cases():
    assert excerpt(None, limit=10) == ""
    assert excerpt("abc", limit=0) == ""
    assert excerpt("abcdef", limit=1) == "…"


@given(st.text(max_size=500), st.integers(min_value=1, max_value=200))
def test_excerpt_is_never_longer_than_its_limit(text, limit):
    assert len(excerpt(text, limit=limit)) <= limit


# --- find_versions ---------------------------------------------------------------------------------


def test_find_versions_finds_versions_in_order_without_a_v():
    text = "Acme OS 11.3.0 with plugin v2.1, version 3.4, build 1.2.3-beta.1 and again 11.3.0."
    assert find_versions(text) == ["11.3.0", "2.1", "3.4", "1.2.3-beta.1"]


def test_find_versions_ignores_sizes_addresses_and_dates():
    assert find_versions("uses 2.5 GB on 127.0.0.1 since 2025-04-14 at 10.30") == []


def test_find_versions_of_nothing():
    assert find_versions(None) == []
    assert find_versions("") == []


# --- duplicate_refs --------------------------------------------------------------------------------


def test_duplicate_refs_reads_the_usual_phrasings():
    text = "Duplicate of #123. Also dup of #12; duplicated by #7. Dupe of #12 again."
    assert duplicate_refs(text) == [123, 12, 7]


def test_duplicate_refs_reads_issue_urls_of_the_same_repository_only():
    text = (
        "Duplicate of https://github.com/acme/support/issues/12 and "
        "duplicate of https://github.com/other/repo/issues/99"
    )
    assert duplicate_refs(text, repo="acme/support") == [12]
    assert duplicate_refs(text) == [12, 99]


def test_duplicate_refs_ignores_denials_and_plain_references():
    assert duplicate_refs("This is not a duplicate of #5, see #6 and issue #7") == []
    assert duplicate_refs(None) == []
