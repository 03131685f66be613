"""Posting on time and exactly once: when a digest fires and what it covers (`schedule`, pure), the
scheduler that claims and posts digests (`scheduler`), one digest built and posted (`digests`), and the
delivery ids every channel message carries so a post whose answer was lost is found, not repeated
(`ids`)."""
