"""The trend chart in Slack: uploaded into the thread of a posted report of a week or more.

After a report (a typed `/ticket-report` or a digest) is posted in a channel and its `ts` is known,
`ChartPoster.post` draws the report's trend chart (bot.render.chart) and uploads it with slack_sdk's
`files_upload_v2` into the report's thread: files.getUploadURLExternal, the POST of the PNG to the URL
it returns, then files.completeUploadExternal sharing it in the thread with its alt text and a line of
comment. Slack needs the `files:write` scope for this.

The report is already posted when this runs, so nothing here may lose it: every failure (Slack
refusing, a missing scope, the network, a bug in drawing) is logged and the call returns False.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.render.chart import chart_png
from bot.render.chart_text import chart_alt_text, chart_comment, chart_filename, chart_title, wants_chart
from bot.report.models import Report

log = logging.getLogger(__name__)


class ChartPoster:
    """Uploads trend charts into report threads; `post` never raises."""

    def __init__(self, client: WebClient, *, draw: Callable[[Report], bytes] = chart_png) -> None:
        self._client = client
        self._draw = draw

    def post(self, channel: str, ts: str, report: Report) -> bool:
        """Upload the chart of `report` (posted in `channel` as `ts`) into its thread; True if it was.

        Reports shorter than a week get no chart (False, nothing logged).
        """
        if not ts or not wants_chart(report):
            return False
        try:
            png = self._draw(report)
            self._client.files_upload_v2(
                channel=channel,
                thread_ts=ts,
                file=png,
                filename=chart_filename(report),
                title=chart_title(report),
                alt_txt=chart_alt_text(report),
                initial_comment=chart_comment(report),
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
            hint = " (add the files:write scope to the Slack app)" if error == "missing_scope" else ""
            log.warning("the trend chart for %s in %s was not uploaded: %s%s", ts, channel, error, hint)
        except (SlackClientError, OSError) as exc:  # the upload URL refused it, or the network failed
            log.warning("the trend chart for %s in %s was not uploaded: %s", ts, channel, _short(exc))
        except Exception:
            log.exception("drawing or uploading the trend chart for %s in %s failed", ts, channel)
        else:
            log.info("trend chart uploaded in the thread of %s in %s", ts, channel)
            return True
        return False


def _short(exc: BaseException) -> str:
    """The error's type and first line: slack_sdk puts the whole response body into its message."""
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
