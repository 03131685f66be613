"""Turning untrusted GitHub markdown into short plain text the report can reason about.

Issue bodies and comments arrive as markdown written by anyone: issue-form templates ("### Software",
"- [x] Yes", "_No response_"), pasted logs and stack traces, code blocks, images, megabytes of it or
nothing at all. Grouping, summaries and drill-down excerpts need the human sentences underneath.

Every helper here is pure and runs in time linear in a bounded prefix of its input: the input is cut
before any regular expression sees it, and every pattern is either anchored to one line or uses
bounded repetitions, so no input can make a pattern backtrack catastrophically.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

# How much raw input is looked at, relative to the output wanted. Pasted logs are dropped, so the raw
# text needs headroom over `max_chars`; beyond this the input is ignored (a 5 MB log is not read).
_SCAN_FACTOR = 4
_MIN_SCAN = 8_000
_FORM_SCAN = 64_000
_FORM_VALUE_MAX = 1_000

# Issue-form questions whose answers are metadata (platform, versions, "did you search?"), not a
# description of the problem: every ticket has them, so they would make template tickets look alike.
# form_fields() still hands the answers to summaries.
_METADATA_WORD_LIST = """
version versions software platform platforms os browser browsers checked ide ides editor editors environment
plugin plugins extension extensions integration integrations architecture cpu ram memory hardware device
devices terms contact email e-mail discord llm llms model models diagnostic diagnostics specs logs log
"""
_METADATA_WORDS = frozenset(_METADATA_WORD_LIST.split())
_METADATA_PHRASES = (
    "operating system",
    "existing issue",
    "code of conduct",
    "install method",
    "installation",
    "system info",
    "device info",
    "crash report",
    "stack trace",
)
_WORD = re.compile(r"[a-z][a-z-]*")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")
_CHECKBOX = re.compile(r"^[ \t>]*(?:[-*+]|\d{1,3}[.)])[ \t]+\[[ xX]?\]")
_NO_ANSWER = re.compile(r"^(?:_no response_|no response|n/?a|none|-|\.)$", re.IGNORECASE)
# A short line that is only bold text is a template label ("**Describe the bug**").
_BOLD_LABEL = re.compile(r"^(?:\*\*|__)[^*_\n]{1,80}(?:\*\*|__):?$")
_PLACEHOLDER = re.compile(
    r"^(?:a clear and concise description of|steps to reproduce the behavio|if applicable, add "
    r"|add any other context about the problem|please complete the following information)",
    re.IGNORECASE,
)

# Pasted logs, one line at a time (the line stripped of indentation and quote markers). Anchored
# alternatives are tried at the start only; the few that may occur anywhere have their own pattern.
_LOG_START = re.compile(
    r"\[?\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{1,2}:\d{2}"  # 2025-04-14 10:00 / [2025-04-14T10:00:01Z]
    r"|\[?\d{1,2}:\d{2}:\d{2}"  # 10:00:01
    r"|\d{1,4} {1,12}[\w.+-]{1,100} {1,40}0x[0-9a-f]"  # macOS crash report frames
    r"|(?:caused by|exception in thread|unhandled exception|stack ?trace)\b"
    r"|\[?(?:info|debug|trace|warn|warning|error|fatal|severe|verbose|critical|notice)\]?[ \t]*[:|\]-]"
    r"|\[(?:info|debug|trace|warn|warning|error|fatal|severe|verbose)\]"
    r"|(?:[a-z]:\\|/|~/)[^ \t]{0,500}$",  # a bare path
    re.IGNORECASE,
)
_LOG_ANYWHERE = re.compile(
    r"\d:\d{2}:\d{2}[.,]\d{2}"  # ...10:00:01.123
    r"|0x[0-9a-f]{6}"
    r"|[0-9a-f]{24}"
    r"|(?:[\\/][\w.@ -]{1,80}){4}",  # a deep path
    re.IGNORECASE,
)
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_HAS_ALNUM = re.compile(r"[^\W_]")
_DIGIT = re.compile(r"\d")
_TEXT, _LOG, _FRAME, _KV = 0, 1, 2, 3  # kinds of line
# A line from a stack trace is noise even on its own.
_FRAME_LINE = re.compile(
    r"^at [\w$.<>\[\]/@-]{1,300}[ (:]|^file \"[^\"]{1,500}\", line \d|^#\d{1,4} {1,12}\S"
    r"|^traceback \(most recent call last\)",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]")
_LOG_RUN = 3  # this many log-looking lines in a row are a pasted log
# A "Key: value" line, as system-information blocks are pasted ("Max Version Supported: 4.9.9",
# "CPU: Intel(R) Core(TM) i7", "- OS Build = 22631"). Runs of them are diagnostics, not a description.
_KEY_VALUE = re.compile(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__)?(?P<key>[A-Za-z][A-Za-z0-9 ()/._#-]{0,40}?)(?:\*\*|__)?[ \t]*"
    r"(?:[:=]|\t|[ ]{2,})[ \t]*(?!//)(?P<value>\S[^\n]{0,400})$"
)
# Labels people write in front of their own words ("Steps: ...", "Workaround: ..."): prose, not fields.
_PROSE_KEY = re.compile(
    r"^(?:steps?|expected|actual|current|issue|impact|since|cause|workaround|fix|status|affected|description"
    r"|summary|problem|note|notes|details|result|reproduce|to reproduce|update|edit|question|answer|solution"
    r"|reason|context|background|what|why|how|when|ps|p\.s|tl;?dr|bug|error|symptoms?|behaviou?r|then|also"
    r"|edit \d|update \d)\b",
    re.IGNORECASE,
)
_FIELD_VALUE_WORDS = 4  # a value of more words, without a digit, is a sentence, not a field
_KV_RUN = 3  # this many "Key: value" lines in a row are a diagnostic block...
_KV_DIAGNOSTIC_RUN = 2  # ... or this many when their keys name hardware or versions
_DIAGNOSTIC_KEY = re.compile(
    r"\b(?:version|versions|cpu|gpu|ram|memory|os|build|kernel|arch|architecture|platform|processor|cores?"
    r"|model|device|disk|browser|locale|runtime|supported|min|max|edition|hostname|uptime|vram)\b",
    re.IGNORECASE,
)
# Dumps: JSON members and brackets, table rows. Noise even on their own.
_DUMP_LINE = re.compile(
    r'^(?:[\[\]{}(),]{1,3}|"[^"\n]{1,120}"[ \t]*:[^\n]{0,400}|\|[^\n]{0,600}\|'
    r"|\[[✓✗√×!xX✔✘ •-]\] [^\n]{0,600}|\{[ \t]*\"[^\n]{0,2000}\}|\[[ \t]*[{\"][^\n]{0,2000}\])$"
)
# "On Mon, 2 Jun 2025 at 10:00, Dana <dana@x.com> wrote:" starts a quoted earlier reply, as does
# Outlook's "-----Original Message-----"; everything after it is someone else's earlier words.
_REPLY_HEADER = re.compile(
    r"^(?:on [^\n]{4,200} wrote:?|-{2,}\s*original message\s*-{2,}|from: [^\n]{1,200}<[^\n]{1,200}>)$",
    re.IGNORECASE,
)
_ERROR_MESSAGE = re.compile(r"\b[A-Z][A-Za-z0-9_.]{0,80}(?:Error|Exception|Failure)\b:? [^\n]{0,300}")
_MAX_SALVAGED = 2
_CODE_LINES = 400  # lines of one code block searched for an error message
_SALVAGED_CHARS = 200

_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^\s<>]{1,2000})>", re.IGNORECASE)
_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\]\([^)\n]{0,2000}\)")
_LINK = re.compile(r"\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)")
_TAG = re.compile(r"</?[a-zA-Z][^<>\n]{0,500}>")
_URL = re.compile(r"\b(?:https?|ftp)://(?:www\.)?([^\s/?#<>()\[\]\"'`]{1,253})[^\s<>()\[\]\"'`]{0,2000}")
_MENTION = re.compile(r"(?<![\w.])@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_EMOJI_CODE = re.compile(r":[a-z][a-z0-9_+-]{0,39}:")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])(?=\s|$)")  # "word ." -> "word."; "account :(" stays
_EMPHASIS = re.compile(r"\*\*|__|~~|`+")
_LINE_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]?)*[ \t]*(?:#{1,6}[ \t]+|(?:[-*+]|\d{1,3}[.)])[ \t]+)?")
_SPACES = re.compile(r"\s+")
_SENTENCE_END = ".!?:;…"

_VERSION = re.compile(
    r"(?<![\w.\-/])(v)?(\d{1,5}(?:\.\d{1,5}){1,3})(-[0-9A-Za-z]{1,20}(?:\.[0-9A-Za-z]{1,20}){0,3})?(?![\w]|\.\d)",
    re.IGNORECASE,
)
_VERSION_WORD = re.compile(
    r"(?:version|ver\.?|release|build|updated? to|upgraded? to)\s*:?\s*$", re.IGNORECASE
)

_DUPLICATE = re.compile(
    r"\b(?P<not>not (?:a |an )?)?dup(?:e|licate)?(?:d| of| by|s)?(?: of| by)?(?: issue)?"
    r"[ \t]{0,3}:?[ \t]{0,3}"
    r"(?:#(?P<num>\d{1,9})\b"
    r"|https?://[^\s/]{1,253}/(?P<repo>[\w.-]{1,100}/[\w.-]{1,100})/issues/(?P<urlnum>\d{1,9})\b)",
    re.IGNORECASE,
)


def _prefix(text: str, limit: int) -> str:
    return text[:limit].replace("\r\n", "\n").replace("\r", "\n")


def _strip_html_comments(text: str) -> str:
    """Remove `<!-- ... -->` with str.find (a regex over unclosed comments could go quadratic)."""
    if "<!--" not in text:
        return text
    parts: list[str] = []
    pos = 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            parts.append(text[pos:])
            break
        parts.append(text[pos:start])
        end = text.find("-->", start + 4)
        if end < 0:  # unclosed: GitHub hides the rest too
            break
        pos = end + 3
    return "".join(parts)


def _is_metadata_label(label: str) -> bool:
    lowered = label.lower()
    if any(phrase in lowered for phrase in _METADATA_PHRASES):
        return True
    return not _METADATA_WORDS.isdisjoint(_WORD.findall(lowered))


_BLOCK_LABELS = frozenset(
    """system information|system info|system details|device information|device info|diagnostics
    |diagnostic information|environment|logs|log|log output|specs|specifications|hardware|crash report
    |stack trace|stacktrace|traceback|versions|version info""".replace("\n", "").split("|")
)


def _is_field(key: str, value: str) -> bool:
    """A "Key: value" line of a pasted block ("OS Build: 22631"), not "Steps: open the app and ..."."""
    if len(key.split()) > 5 or _PROSE_KEY.match(key.strip(" *_-")):
        return False
    return bool(_DIGIT.search(value[:200])) or len(value.split()) <= _FIELD_VALUE_WORDS


def _is_block_label(line: str) -> bool:
    """ "System information", "Logs:", "**Environment**": the caption of a pasted block."""
    label = line.strip("*_:# \t").lower()
    if " ".join(label.split()) in _BLOCK_LABELS:
        return True
    return line.endswith(":") and len(label.split()) <= 4 and _is_metadata_label(label)


def _is_log_line(stripped: str, raw: str) -> bool:
    head = stripped[:400]
    if _LOG_START.match(head):
        return True
    if ("/" in head or "\\" in head or _DIGIT.search(head)) and _LOG_ANYWHERE.search(head):
        return True
    if raw.startswith(("    ", "\t")) and not _LIST_ITEM.match(raw):
        return True  # indented code
    if len(head) >= 20:
        letters = len(_NOT_LETTERS.sub("", head))
        if letters < 0.4 * len(head):
            return True  # JSON, numbers, hashes
        if " " not in head[:200] and len(head) > 200:
            return True
    return False


def _salvage(lines: list[str], kinds: list[int], start: int, stop: int) -> str:
    """The first error message named in the pasted log lines[start:stop], or ""."""
    for k in range(start, stop):
        if kinds[k] == _LOG:
            error = _ERROR_MESSAGE.search(lines[k][:1000])
            if error:
                return error.group(0)[:_SALVAGED_CHARS]
    return ""


def _inline(line: str, *, keep_urls: bool = False) -> str:
    """Plain text of one markdown line: links to their text, URLs to their host, markup dropped."""
    line = _LINE_PREFIX.sub("", line, count=1)
    # Each pattern runs only when its tell-tale character is there (most lines are plain prose).
    removed = False
    if "](" in line:
        line = _IMAGE.sub(" ", line)
        line = _LINK.sub(r"\1", line)
    if "<" in line:
        line = _AUTOLINK.sub(r"\1", line)
        line = _TAG.sub(" ", line)
        removed = True
    if "://" in line and not keep_urls:
        line = _URL.sub(r"\1", line)
    if "@" in line:
        line = _MENTION.sub(" ", line)
        removed = True
    if ":" in line:
        line = _EMOJI_CODE.sub(" ", line)
        removed = True
    if "*" in line or "_" in line or "~" in line or "`" in line:
        line = _EMPHASIS.sub("", line)
    if "&" in line:
        line = html.unescape(line)
    if "  " in line or "\t" in line or removed:
        line = _SPACES.sub(" ", line)
    line = line.strip()
    return _SPACE_BEFORE_PUNCT.sub(r"\1", line) if removed else line


class _Collector:
    """Collects plain lines up to a character budget, holding back runs of log-looking lines."""

    def __init__(self, limit: int, *, keep_urls: bool = False) -> None:
        self.limit = limit
        self.keep_urls = keep_urls
        self.lines: list[str] = []
        self.total = 0
        self.run: list[str] = []
        self.kinds: list[int] = []
        self.salvaged = 0
        self.kv: list[str] = []
        self.kv_keys: list[str] = []

    @property
    def full(self) -> bool:
        return self.total >= self.limit

    def text(self, raw: str) -> None:
        if self.run:
            self.flush()
        if self.kv:
            self.flush_kv()
        self._emit(raw)

    def log(self, raw: str, kind: int) -> None:
        if self.kv:
            self.flush_kv()
        self.run.append(raw)
        self.kinds.append(kind)

    def salvage_code(self, code: list[str]) -> None:
        """A code block is dropped, but the first error message it names is kept as a line."""
        if self.salvaged >= _MAX_SALVAGED or not code:
            return
        found = error_lines("\n".join(code), limit=1)
        if found:
            if self.run:
                self.flush()
            if self.kv:
                self.flush_kv()
            self.salvaged += 1
            self._emit(found[0])

    def key_value(self, raw: str, key: str) -> None:
        if self.run:
            self.flush()
        self.kv.append(raw)
        self.kv_keys.append(key)

    def flush_kv(self) -> None:
        """A run of "Key: value" lines is a pasted diagnostic block: dropped whole. One line stays."""
        diagnostic = sum(bool(_DIAGNOSTIC_KEY.search(key)) for key in self.kv_keys)
        if len(self.kv) < _KV_RUN and diagnostic < _KV_DIAGNOSTIC_RUN:
            for raw in self.kv:
                self._emit(raw)
        self.kv.clear()
        self.kv_keys.clear()

    def flush(self) -> None:
        if len(self.run) >= _LOG_RUN:
            # A pasted log: drop the whole run, keeping only the first error message it names
            # ("StateError: Bad state: storage engine closed").
            if self.salvaged < _MAX_SALVAGED:
                line = _salvage(self.run, self.kinds, 0, len(self.run))
                if line:
                    self.salvaged += 1
                    self._emit(line)
        else:
            for raw, kind in zip(self.run, self.kinds, strict=True):
                if kind == _LOG:  # a stack frame is noise even on its own; other lines stay
                    self._emit(raw)
        self.run.clear()
        self.kinds.clear()

    def _emit(self, raw: str) -> None:
        if self.total >= self.limit:
            return
        line = _inline(raw, keep_urls=self.keep_urls)
        if line and _HAS_ALNUM.search(line):
            self.lines.append(line)
            self.total += len(line) + 1


def clean_lines(markdown: str | None, *, max_chars: int = 4000, keep_urls: bool = False) -> list[str]:
    """The human lines of a markdown body, each plain text, boilerplate and logs dropped.

    Dropped: issue-form boilerplate and metadata answers, code, pasted logs and stack traces (the
    first error message a log names is kept), diagnostic blocks of "Key: value" lines, JSON-ish
    dumps and tables, and quoted earlier replies ("> ..." lines, "On ... wrote:" and what follows).
    URLs become their host, unless `keep_urls` (a quoted instruction needs its whole address).
    At most about `max_chars` characters in total; only a bounded prefix of the input is read.
    """
    if not markdown or max_chars <= 0:
        return []
    text = _strip_html_comments(_prefix(markdown, max(max_chars * _SCAN_FACTOR, _MIN_SCAN)))
    out = _Collector(max_chars, keep_urls=keep_urls)
    fence: str | None = None
    code: list[str] = []  # the lines of the code block being skipped
    skip_answer = False  # inside the answer to a metadata question of an issue form
    for raw in text.split("\n"):
        fence_match = _FENCE.match(raw) if ("```" in raw or "~~~" in raw) else None
        if fence is not None:
            marker = fence_match.group(1) if fence_match else ""
            if marker[:1] == fence[0] and len(marker) >= len(fence):
                fence = None
                out.salvage_code(code)
                code = []
            elif len(code) < _CODE_LINES:
                code.append(raw)
            continue
        if out.full:
            break
        if fence_match:
            fence = fence_match.group(1)
            continue
        stripped = raw.strip()
        if not stripped:
            continue
        heading = _HEADING.match(raw) if stripped[0] == "#" else None
        if heading:
            level, label = len(heading.group(1)), heading.group(2)
            skip_answer = level >= 3 and _is_metadata_label(label[:200])
            if level < 3:
                out.text(raw)
            continue  # a level-3 heading is an issue-form question: its label is template text
        if skip_answer:
            continue
        if "[" in stripped[:12] and _CHECKBOX.match(raw):
            continue
        if len(stripped) <= 13 and _NO_ANSWER.match(stripped):
            continue
        if stripped[0] in "*_" and _BOLD_LABEL.match(stripped) and not _VERSION.search(stripped):
            continue  # a template label ("**Describe the bug**"); a bold version ("**v5.3.1**") stays
        if _PLACEHOLDER.match(stripped):
            continue
        if len(stripped) <= 40 and _is_block_label(stripped):
            continue  # a label over a pasted block ("System information:")
        if stripped[0] == ">":
            continue  # a quoted earlier reply: someone else's words, said before
        if _REPLY_HEADER.match(stripped[:300]):
            break
        lowered = stripped
        separated = ":" in raw or "=" in raw or "\t" in raw or "  " in raw
        key_value = _KEY_VALUE.match(raw[:500]) if separated else None
        if _FRAME_LINE.match(lowered) or _DUMP_LINE.match(lowered[:700]):
            out.log(raw, _FRAME)
        elif _LOG_START.match(lowered[:400]):
            out.log(raw, _LOG)
        elif key_value and _is_field(key_value.group("key"), key_value.group("value")):
            out.key_value(raw, key_value.group("key"))
        elif _is_log_line(lowered, raw):
            out.log(raw, _LOG)
        else:
            out.text(raw)
    if fence is not None:
        out.salvage_code(code)
    if out.run:
        out.flush()
    if out.kv:
        out.flush_kv()
    return out.lines


def clean_text(markdown: str | None, *, max_chars: int = 4000) -> str:
    """Plain, single-line text of a markdown body without issue-form boilerplate, code or logs.

    Lines are joined into sentences (a full stop is added where a line had no closing punctuation),
    whitespace is collapsed, and the result is at most `max_chars` characters.
    """
    return excerpt(join_lines(clean_lines(markdown, max_chars=max_chars)), limit=max_chars)


def join_lines(lines: Iterable[str]) -> str:
    """Plain lines as one paragraph, a full stop added where a line had no closing punctuation."""
    return " ".join(line if line[-1] in _SENTENCE_END else line + "." for line in lines if line)


def form_fields(body: str | None) -> dict[str, str]:
    """Answers of a GitHub issue form: {"operating system / platform": "macOS", ...}.

    Keys are the question labels lower-cased with whitespace collapsed; unanswered questions
    ("_No response_") are left out; each answer is whitespace-collapsed and at most 1000 characters.
    """
    if not body:
        return {}
    text = _strip_html_comments(_prefix(body, _FORM_SCAN))
    fields: dict[str, str] = {}
    key: str | None = None
    answer: list[str] = []
    fence: str | None = None

    def finish() -> None:
        if key is None or key in fields:
            return
        value = _SPACES.sub(" ", " ".join(answer)).strip()
        if value and not _NO_ANSWER.match(value):
            fields[key] = value[:_FORM_VALUE_MAX]

    for raw in text.split("\n"):
        fence_match = _FENCE.match(raw) if ("```" in raw or "~~~" in raw) else None
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0]:
                fence = None
            elif key is not None:
                answer.append(raw)
            continue
        if fence_match:
            fence = fence_match.group(1)
            continue
        heading = _HEADING.match(raw)
        if heading and len(heading.group(1)) == 3:
            finish()
            key = _SPACES.sub(" ", heading.group(2)).strip().lower()[:200] or None
            answer = []
        elif key is not None and raw.strip():
            answer.append(raw.strip())
    finish()
    return fields


def excerpt(text: str | None, *, limit: int) -> str:
    """`text` with whitespace collapsed, cut at a word boundary to at most `limit` characters with "…"."""
    if not text or limit <= 0:
        return ""
    flat = _SPACES.sub(" ", text[: limit * 2 + 2]).strip()
    if len(flat) <= limit:
        return flat
    if limit == 1:
        return "…"
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if flat[limit - 1] != " " and space >= limit // 2:  # don't split a word unless it is very long
        cut = cut[:space]
    cut = cut.rstrip(" ,;:-–—([{'\"")
    return (cut or flat[: limit - 1]) + "…"


def find_versions(text: str | None) -> list[str]:
    """Version numbers in `text`, in order of first appearance, without a leading "v".

    "11.3.0" and "1.2.3-beta.1" count on their own; two-part numbers ("v2.1", "version 2.1") count only
    with a "v" or a word like "version" before them, so "2.5 GB" is not a version. Four-part numbers
    count only with such a prefix too, so IP addresses are left alone.
    """
    if not text:
        return []
    text = text[:_FORM_SCAN]
    found: dict[str, None] = {}
    for match in _VERSION.finditer(text):
        prefixed, number, suffix = match.group(1), match.group(2), match.group(3) or ""
        before = text[max(0, match.start() - 16) : match.start()]
        if number.count(".") != 2 and not prefixed and not _VERSION_WORD.search(before):
            continue
        found.setdefault(number + suffix, None)
    return list(found)


_DOUBT = re.compile(r"\b(?:not|never|don't|doesn't|isn't|aren't|wasn't|unlikely|hardly)\b", re.IGNORECASE)


def _doubted(text: str, start: int, end: int) -> bool:
    """The phrase at text[start:end] is denied ("I don't think this is a duplicate of #5") or asked
    ("Isn't this a duplicate of #5?") in its own sentence."""
    before = text[max(0, start - 80) : start]
    cut = max(before.rfind(mark) for mark in ".!?\n")
    if _DOUBT.search(before[cut + 1 :]):
        return True
    after = text[end : end + 120]
    stops = [at for at in (after.find(mark) for mark in ".!?\n") if at >= 0]
    return bool(stops) and after[min(stops)] == "?"


def duplicate_refs(text: str | None, *, repo: str | None = None) -> list[int]:
    """Issue numbers that `text` calls this ticket a duplicate of (or duplicated by), in order.

    Understands "Duplicate of #123", "dup of #12", "duplicated by #7" and issue URLs; "not a duplicate
    of #5" is ignored. With `repo` ("owner/name"), URLs to other repositories are ignored.
    """
    if not text:
        return []
    text = text[:_FORM_SCAN]
    if "dup" not in text.lower():
        return []
    found: dict[int, None] = {}
    for match in _DUPLICATE.finditer(text):
        if match.group("not") or _doubted(text, match.start(), match.end()):
            continue
        if match.group("num"):
            found.setdefault(int(match.group("num")), None)
        elif repo is None or match.group("repo").lower() == repo.lower():
            found.setdefault(int(match.group("urlnum")), None)
    return list(found)


# --- error lines ---------------------------------------------------------------------------------------

# An error named with its message: "FormatException: Invalid port ...", "java.lang.IllegalStateException:
# ...", "LateInitializationError: Field 'db' ...", "panic: runtime error: ...", "Uncaught TypeError: ...".
_ERROR_LINE = re.compile(
    r"(?<![\w.$])(?P<type>(?:[A-Za-z][\w$]{0,40}\.){0,6}[A-Z][\w$]{0,80}?(?:Error|Exception|Failure|Fault)"
    r"(?:\(\d{1,5}\))?|panic|fatal error|Fatal error|FATAL ERROR|(?:[Ee]rror|ERROR) while [a-z][a-z ]{2,40}"
    r"|Error)"
    r"(?::|\s+-)[ \t]+(?P<message>\S[^\n]{2,400})"
)
# Where a message stops and its stack frames or log tail begin.
_MESSAGE_END = re.compile(
    r"\s+(?:at [\w$.<>/-]{1,300}\s*\(|#\d{1,4}\s{1,12}\S|\(package:|\(dart:|in <module>)",
)
_BARE_URL = re.compile(r"^[a-z][a-z0-9+.-]{1,20}://\S{1,400}$", re.IGNORECASE)
_ERROR_SCAN = 64_000
_ERROR_CHARS = 240


def error_lines(markdown: str | None, *, limit: int = 3) -> list[str]:
    """The error messages a body names (exception and message), in order, at most `limit`.

    Read from code blocks and logs too (where reporters paste them), but not from quoted earlier
    replies or the words after an "On ... wrote:" line. Each is cut before its stack frames and
    keeps its text otherwise as written: URLs, ports and quotes stay as they are.
    """
    if not markdown or limit <= 0:
        return []
    found: dict[str, None] = {}
    lines = _strip_html_comments(_prefix(markdown, _ERROR_SCAN)).split("\n")
    for position, raw in enumerate(lines):
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped[0] == ">":
            continue
        if _REPLY_HEADER.match(stripped[:300]):
            break
        if not any(word in stripped for word in ("rror", "xception", "ailure", "ault", "panic", "FATAL")):
            continue
        match = _ERROR_LINE.search(stripped[:1000])
        if not match:
            continue
        message = match.group("message")
        opening = stripped[match.start() - 1] if match.start() > 0 else ""
        closing = _CLOSING.get(opening)
        if closing and closing in message:
            message = message[: message.index(closing)]  # `FormatException: ...` quoted in a sentence
        end = _MESSAGE_END.search(message)
        if end:
            message = message[: end.start()]
        message = _balanced(message.strip())
        following = lines[position + 1].strip() if position + 1 < len(lines) else ""
        if not end and _BARE_URL.match(following[:500]):
            message = f"{message} {following}"  # the message went on with the URL it names
        if len(message) < 3 or not _HAS_ALNUM.search(message):
            continue
        line = excerpt(f"{match.group('type')}: {message}", limit=_ERROR_CHARS)
        found.setdefault(line, None)
        if len(found) >= limit:
            break
    return list(found)


_CLOSING = {"`": "`", '"': '"', "'": "'", "“": "”", "‘": "’"}


def _balanced(message: str) -> str:
    """`message` without a trailing quote left over from the sentence around it ("...closed'")."""
    if len(message) > 1 and message[-1] in ".,;:!?" and message[-2] in "`'\"”’":
        message = message[:-1]  # the sentence's full stop after a quoted error
    while message and message[-1] in "`'\"”’" and message.count(message[-1]) % 2 == 1:
        message = message[:-1].rstrip()
    return message


def error_type(line: str) -> str:
    """The exception's short name: "java.lang.IllegalStateException: x" -> "IllegalStateException"."""
    head = line.split(":", 1)[0]
    return head.rsplit(".", 1)[-1].split("(", 1)[0].strip()


def quote(text: str) -> str:
    """`text` in typographic quotes, without the quotes or backticks it already had."""
    inner = text.strip()
    pairs = {'"': '"', "'": "'", "`": "`", "“": "”", "‘": "’"}
    while len(inner) > 1 and inner[0] in pairs and inner.endswith(pairs[inner[0]]):
        inner = inner[1:-1].strip()  # already quoted: one pair of quotes is enough
    if inner.endswith((".", ":", ",", ";")) and not inner.endswith(".."):
        inner = inner[:-1].rstrip()
    inner = _balanced(inner)
    return f"“{inner}”" if inner else ""
