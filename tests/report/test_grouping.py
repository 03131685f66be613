"""Common issues: related tickets grouped from their text, each group titled and summarised."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.report.grouping import find_common_issues
from bot.report.models import Comment, Ticket
from tests.report.factories import REPO, comment, ticket

NO_TEAM: frozenset[str] = frozenset()


def form(description: str, *, os: str = "macOS", version: str = "11.3.0") -> str:
    """A body as GitHub renders an issue form (labels as ### headings, empty answers as _No response_)."""
    return (
        "### Checked for Existing Issues?\n\n- [X] Yes\n\n"
        "### Software\n\nAcme OS\n\n"
        f"### Operating System / Platform\n\n{os}\n\n"
        f"### Your Acme OS Version\n\n{version}\n\n"
        "### Kindly describe the bug and include as much detail as possible on what you were doing "
        "so we can reproduce the bug.\n\n"
        f"{description}\n\n"
        "### Relevant log output\n\n_No response_\n"
    )


def support_tickets() -> list[Ticket]:
    """3 about a launch failure after 11.3.0, 2 about a stuck login, 3 unrelated."""
    return [
        ticket(
            41,
            created="2025-04-14 08:00",
            title="Acme OS won't open after the update: the database cannot be opened",
            body=form(
                "After updating to 11.3.0 Acme OS won't launch. It shows a database error on start and quits."
                "\n\n```\nStateError: Bad state: storage engine closed.\n```"
            ),
        ),
        ticket(
            42,
            created="2025-04-14 09:00",
            title="[Bug]: App fails to launch after update to 11.3.0, database error",
            body=form(
                "Since the update to 11.3.0 the app fails to launch with a database error. "
                "I reinstalled but it still fails.",
                os="Windows",
            ),
        ),
        ticket(
            43,
            created="2025-04-14 10:00",
            title="Database error on launch after updating",
            body=form(
                "The app crashes on launch with a database corruption error since updating this morning."
            ),
        ),
        ticket(
            51,
            created="2025-04-14 07:00",
            title="Stuck at authentication page when logging in",
            body=form(
                "Login is stuck at the authentication page, it keeps loading forever after I sign in.",
                version="11.2.1",
            ),
        ),
        ticket(
            52,
            created="2025-04-14 07:30",
            title="Login stuck on authentication screen",
            body=form(
                "When I try to sign in the authentication page never finishes loading and login is stuck.",
                os="Windows",
                version="11.2.1",
            ),
        ),
        ticket(
            61,
            created="2025-04-14 11:00",
            title="Feature request: dark mode for the desktop app",
            body="It would be great to have a dark theme in the desktop application settings.",
        ),
        ticket(
            62,
            created="2025-04-14 12:00",
            title="Copilot answers in the wrong language",
            body=form("The copilot chat replies in German even though my system language is English."),
        ),
        ticket(
            63,
            created="2025-04-14 13:00",
            title="Export snippets to markdown file",
            body="Please add a way to export all saved snippets to a markdown file for backups.",
        ),
    ]


def by_number(tickets: list[Ticket]) -> dict[int, Ticket]:
    return {t.number: t for t in tickets}


def support_comments(tickets: list[Ticket]) -> list[Comment]:
    t = by_number(tickets)
    return [
        comment(
            t[41],
            at_="2025-04-14 08:30",
            author="mark",
            association="MEMBER",
            body="Hi @user41, thanks for reaching out! Could you please share your logs?",
        ),
        comment(
            t[41],
            at_="2025-04-14 09:30",
            author="mark",
            association="MEMBER",
            body="As a workaround, delete the database folder and restart Acme OS; 11.3.1 will fix this.",
        ),
        comment(t[42], at_="2025-04-14 09:40", body="Same here on Windows after 11.3.0"),
        comment(t[42], at_="2025-04-14 09:50", author="user42", body="I tried a reinstall, no fix."),
        comment(
            t[51],
            at_="2025-04-14 08:00",
            author="jane",
            association="MEMBER",
            body="We are looking into the authentication flow.",
        ),
    ]


def numbers(groups) -> list[list[int]]:
    return [[r.number for r in g.tickets] for g in groups]


def test_related_tickets_are_grouped_and_unrelated_ones_left_out():
    tickets = support_tickets()
    groups = find_common_issues(tickets, support_comments(tickets), team_logins=NO_TEAM)
    assert numbers(groups) == [[41, 42, 43], [51, 52]]


def test_group_titles_are_short_representative_titles():
    tickets = support_tickets()
    launch, login = find_common_issues(tickets, support_comments(tickets), team_logins=NO_TEAM)
    assert launch.title == "App fails to launch after update to 11.3.0, database error"  # no "[Bug]:"
    assert login.title == "Login stuck on authentication screen"
    assert all(len(g.title) <= 80 for g in (launch, login))


def test_summary_has_four_parts_each_citing_its_tickets():
    tickets = support_tickets()
    launch, login = find_common_issues(tickets, support_comments(tickets), team_logins=NO_TEAM)
    parts = launch.parts
    assert parts.problem.text == (
        "“Since the update to 11.3.0 the app fails to launch with a database error” (the reporter of #42)."
    )
    assert [t.number for t in parts.problem.tickets] == [42, 41, 43]
    assert parts.affected.text == (
        "Acme OS 11.3.0 (all 3 tickets); on macOS (2), Windows (1); "
        "reported by 4 people (3 tickets, 1 more in comments)."
    )
    assert (parts.product, parts.version) == ("Acme OS", "11.3.0")
    assert parts.status_kind == "workaround"
    assert parts.status.text == "The team gave a workaround (mark on #41, 14 Apr 2025)."
    assert parts.tell_users.text == (
        "“As a workaround, delete the database folder and restart Acme OS; 11.3.1 will fix this” "
        "(mark on #41, 14 Apr 2025)."
    )
    assert [t.number for t in parts.tell_users.tickets] == [41]
    assert launch.summary.startswith("Problem: “Since the update") and "Tell users: “As a workaround" in (
        launch.summary
    )
    assert login.parts.status_kind == "investigating"
    assert login.parts.tell_users.text.startswith("Nothing yet")  # the team's comment proposes nothing
    assert [t.number for t in login.parts.tell_users.tickets] == [51, 52]  # nothing to tell for both


def test_a_version_shared_by_some_tickets_only_is_counted():
    tickets = support_tickets()
    t = by_number(tickets)
    changed = form("The app crashes on launch with a database corruption error.", version="11.2.9")
    tickets[tickets.index(t[43])] = replace(t[43], body=changed)
    launch = find_common_issues(tickets, [], team_logins=NO_TEAM)[0]
    assert launch.parts.affected.text.startswith("Acme OS 11.3.0 (2 of 3 tickets), also 11.2.9;")
    assert [r.number for r in launch.parts.affected.tickets] == [41, 42]
    assert launch.parts.status.text == "No team reply yet."


def test_the_ticket_authors_own_words_are_never_the_team_suggestion():
    tickets = support_tickets()
    t = by_number(tickets)
    member_ticket = replace(t[43], author="mark", author_association="MEMBER")
    tickets[tickets.index(t[43])] = member_ticket
    own = comment(
        member_ticket,
        at_="2025-04-14 11:00",
        author="mark",
        association="MEMBER",
        body="Workaround: delete the cache folder, then reinstall and restart the update.",
    )
    launch = find_common_issues(tickets, [own], team_logins=NO_TEAM)[0]
    assert launch.parts.status_kind == "no_reply"
    assert "Workaround" not in launch.parts.tell_users.text


def test_configured_team_logins_and_not_bots_supply_the_suggestion():
    tickets = support_tickets()
    t = by_number(tickets)
    helper = comment(
        t[42],
        at_="2025-04-14 11:00",
        author="Helper-Dana",
        body="Try the 11.3.1 update we released today, it fixes the database error.",
    )
    bot = replace(
        comment(
            t[43],
            at_="2025-04-14 12:00",
            author="acme-bot",
            association="MEMBER",
            body="Workaround: reinstall, delete, update, restart, fix everything now.",
        ),
        author_is_bot=True,
    )
    launch = find_common_issues(tickets, [helper, bot], team_logins=frozenset({"helper-dana"}))[0]
    assert launch.parts.status_kind == "fix_released"
    assert launch.parts.tell_users.text == (
        "“Try the 11.3.1 update we released today, it fixes the database error” "
        "(Helper-Dana on #42, 14 Apr 2025)."
    )
    launch = find_common_issues(tickets, [helper, bot], team_logins=NO_TEAM)[0]
    assert launch.parts.status_kind == "no_reply"


def test_duplicate_of_in_a_comment_joins_the_ticket_to_that_group():
    tickets = support_tickets()
    t = by_number(tickets)
    dup = comment(
        t[63], at_="2025-04-14 14:00", author="mark", association="MEMBER", body="Closing: duplicate of #41"
    )
    groups = find_common_issues(tickets, [dup], team_logins=NO_TEAM)
    assert numbers(groups)[0] == [41, 42, 43, 63]


def test_duplicate_links_group_tickets_whose_texts_differ():
    tickets = support_tickets()
    t = by_number(tickets)
    tickets[tickets.index(t[62])] = replace(
        t[62], body="Duplicate of https://github.com/octo-org/support/issues/61"
    )
    groups = find_common_issues(tickets, [], team_logins=NO_TEAM)
    assert [61, 62] in numbers(groups)


def test_duplicate_numbers_only_link_within_the_same_repository():
    tickets = support_tickets()
    other = ticket(
        41,
        created="2025-04-14 15:00",
        repo="octo-org/other",
        title="Unrelated thing",
        body="Dup of #61. The sidebar colours look odd in high contrast mode.",
    )
    groups = find_common_issues([*tickets, other], [], team_logins=NO_TEAM)
    assert all(r.repo == REPO for g in groups for r in g.tickets)
    assert numbers(groups) == [[41, 42, 43], [51, 52]]


def test_a_ticket_is_in_at_most_one_group_even_with_crossing_duplicate_links():
    tickets = support_tickets()
    t = by_number(tickets)
    links = [
        comment(t[51], at_="2025-04-14 15:00", author="mark", association="MEMBER", body="duplicate of #41"),
        comment(t[61], at_="2025-04-14 15:00", author="mark", association="MEMBER", body="duplicate of #52"),
    ]
    groups = find_common_issues(tickets, links, team_logins=NO_TEAM)
    assert numbers(groups) == [[41, 42, 43, 51, 52, 61]]
    guesses = [replace(c, author="someone", author_association="NONE") for c in links]
    assert numbers(find_common_issues(tickets, guesses, team_logins=NO_TEAM)) == [[41, 42, 43], [51, 52]]


def test_tickets_with_only_an_empty_issue_form_do_not_group_by_the_template():
    # Four tickets: too few for the "line found in many tickets" filter, so the cleaner must do it.
    titles = ["Sidebar colours", "Crash", "[Bug]: ", "Slow"]
    empty_forms = [
        ticket(i, created="2025-04-14 10:00", title=title, body=form("_No response_", version="11.3.0"))
        for i, title in enumerate(titles, start=1)
    ]
    assert find_common_issues(empty_forms, [], team_logins=NO_TEAM) == ()


def test_an_unknown_template_repeated_across_tickets_does_not_group_them():
    details = [
        ("Export button greyed out", "The export button stays disabled."),
        ("Fonts too small", "Text in the editor is tiny on 4k screens."),
        ("Proxy ignored", "Requests bypass the corporate proxy."),
        ("Snippet tags vanish", "Tags disappear after a restart."),
        ("Keyboard shortcut conflict", "Ctrl+K opens two menus."),
        ("Calendar sync duplicates", "Events appear twice in the timeline."),
    ]
    classic = [
        ticket(
            100 + i,
            created="2025-04-14 10:00",
            title=title,
            body=(
                "**Bug report**\nWhat goes wrong, in a few words, for our support crew.\n\n"
                "**How to trigger it**\nPlease list every click that leads to it:\n"
                "1. Go to 'Settings'\n2. Click on 'Sync'\n3. Scroll down to 'Advanced'\n4. See error\n\n"
                f"**Wanted result**\nWhat should happen in place of the trouble above.\n\n{detail}"
            ),
        )
        for i, (title, detail) in enumerate(details)
    ]
    assert find_common_issues(classic, [], team_logins=NO_TEAM) == ()


def test_a_five_megabyte_log_neither_crashes_nor_dominates():
    tickets = support_tickets()
    t = by_number(tickets)
    log = "".join(
        f"2025-04-14 10:00:{i % 60:02d}.123 [INFO] sync worker {i} flushed queue 0x{i:08x} /var/lib/acme/db\n"
        for i in range(60_000)
    )
    assert len(log) > 5_000_000
    noisy = replace(t[62], body=form(f"The copilot chat replies in German.\n{log}"))
    also_noisy = replace(t[63], body=f"Export to markdown please.\n{log}")
    tickets[tickets.index(t[62])] = noisy
    tickets[tickets.index(t[63])] = also_noisy
    groups = find_common_issues(tickets, support_comments(tickets), team_logins=NO_TEAM)
    assert numbers(groups) == [[41, 42, 43], [51, 52]]  # the shared log does not make a group
    assert all("0x" not in g.summary and "[INFO]" not in g.summary for g in groups)


def test_empty_and_missing_text_is_fine():
    blank = [
        ticket(1, created="2025-04-14 10:00", title="", body=""),
        replace(ticket(2, created="2025-04-14 10:00"), title=None, body=None),  # GitHub can send null bodies
        ticket(3, created="2025-04-14 10:00", title="Empty", body="   "),
    ]
    t = blank[0]
    nothing = [
        replace(comment(t, at_="2025-04-14 11:00"), body=None),
        comment(t, at_="2025-04-14 11:00", body=""),
    ]
    assert find_common_issues(blank, nothing, team_logins=NO_TEAM) == ()
    assert find_common_issues([], [], team_logins=NO_TEAM) == ()
    assert find_common_issues(blank[:1], [], team_logins=NO_TEAM) == ()
    linked = [blank[0], replace(blank[1], body="duplicate of #1")]
    (group,) = find_common_issues(linked, [], team_logins=NO_TEAM)
    assert numbers([group]) == [[1, 2]] and group.title and group.summary


def test_groups_are_ranked_by_size_then_activity_and_capped():
    tickets = support_tickets()
    t = by_number(tickets)
    tickets[tickets.index(t[51])] = replace(t[51], comments_count=50)
    third = [  # a third group of two, less active than the login one
        ticket(
            800,
            created="2025-04-14 10:00",
            title="Calendar sync duplicates events in timeline",
            body="Every calendar event appears twice in the timeline after sync.",
        ),
        ticket(
            801,
            created="2025-04-14 10:00",
            title="Timeline shows calendar events twice",
            body="Calendar sync duplicates every event in my timeline.",
        ),
    ]
    groups = find_common_issues([*tickets, *third], [], team_logins=NO_TEAM)
    assert numbers(groups) == [[41, 42, 43], [51, 52], [800, 801]]
    assert numbers(find_common_issues([*tickets, *third], [], team_logins=NO_TEAM, max_groups=2)) == [
        [41, 42, 43],
        [51, 52],
    ]
    assert find_common_issues(tickets, [], team_logins=NO_TEAM, max_groups=0) == ()


def test_output_is_deterministic_whatever_the_input_order():
    tickets = support_tickets()
    comments = support_comments(tickets)
    expected = find_common_issues(tickets, comments, team_logins=NO_TEAM)
    rng = random.Random(7)
    for _ in range(5):
        shuffled_t, shuffled_c = tickets[:], comments[:]
        rng.shuffle(shuffled_t)
        rng.shuffle(shuffled_c)
        assert find_common_issues(shuffled_t, shuffled_c, team_logins=NO_TEAM) == expected


def test_tickets_from_several_repositories_are_named_with_their_repository():
    tickets = support_tickets()
    t = by_number(tickets)
    moved = replace(t[42], repo="octo-org/desktop", url="https://github.com/octo-org/desktop/issues/42")
    tickets[tickets.index(t[42])] = moved
    helper = comment(
        moved,
        at_="2025-04-14 11:00",
        author="mark",
        association="OWNER",
        body="Please update to 11.3.1, released today, which fixes the database error.",
    )
    launch = find_common_issues(tickets, [helper], team_logins=NO_TEAM)[0]
    assert [(r.repo, r.number) for r in launch.tickets] == [
        ("octo-org/desktop", 42),
        (REPO, 41),
        (REPO, 43),
    ]
    assert launch.parts.status.text == "Fix released in 11.3.1 (mark on octo-org/desktop#42, 14 Apr 2025)."
    assert launch.parts.tell_users.text.startswith("“Please update to 11.3.1")


def _pseudo_words(rng: random.Random, count: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "po", "qu", "dra", "fen", "gil", "hor"]
    return ["".join(rng.choice(syllables) for _ in range(3)) for _ in range(count)]


def test_groups_are_still_found_among_thousands_of_tickets():
    """Past the exact all-pairs limit, candidate search must still find a small group."""
    rng = random.Random(3)
    vocabulary = _pseudo_words(rng, 6000)
    noise = [
        ticket(
            10_000 + i,
            created="2025-04-14 10:00",
            title=" ".join(rng.sample(vocabulary, 4)),
            body=form(" ".join(rng.sample(vocabulary, 25))),
        )
        for i in range(2100)
    ]
    tickets = support_tickets()
    groups = find_common_issues(
        [*tickets, *noise], support_comments(tickets), team_logins=NO_TEAM, max_groups=50
    )
    assert [41, 42, 43] in numbers(groups)
    assert [51, 52] in numbers(groups)


WORDS = ["app", "crash", "login", "sync", "database", "error", "update", "11.3.0", "slow", "export", "theme"]


@st.composite
def ticket_sets(draw):
    count = draw(st.integers(min_value=0, max_value=25))
    sentence = st.lists(st.sampled_from(WORDS), min_size=0, max_size=12).map(" ".join)
    made = []
    for number in range(1, count + 1):
        body = draw(st.one_of(sentence, st.text(max_size=200), st.just(form("x"))))
        if draw(st.booleans()):
            body += f"\nduplicate of #{draw(st.integers(min_value=1, max_value=30))}"
        made.append(ticket(number, created="2025-04-14 10:00", title=draw(sentence), body=body))
    return made


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ticket_sets(), st.integers(min_value=1, max_value=6))
def test_every_ticket_is_in_at_most_one_group_of_at_least_two(tickets, max_groups):
    groups = find_common_issues(tickets, [], team_logins=NO_TEAM, max_groups=max_groups)
    assert len(groups) <= max_groups
    seen = [(r.repo, r.number) for g in groups for r in g.tickets]
    assert len(seen) == len(set(seen))
    assert set(seen) <= {t.key for t in tickets}
    assert all(len(g.tickets) >= 2 and g.title and len(g.title) <= 80 and g.summary for g in groups)
    assert [len(g.tickets) for g in groups] == sorted((len(g.tickets) for g in groups), reverse=True)
