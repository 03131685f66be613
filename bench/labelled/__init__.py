"""The labelled evaluation set: one week of a fictional support repository and what its report should say.

support-snapshot.json   the tickets, in snapshot format (raw GitHub REST issue and comment payloads, plus
                        "pinned": {"owner/name": [numbers]})
expected.json           the labels; its "_about" key documents every field
loader.py               loads both and builds the report of the labelled period with default options

`python -m bench.eval_report` prints how the current core scores; tests/report/test_labelled.py asserts it.
"""
