"""Model answers in the store: read by key, the first save of a key wins, concurrent saves are safe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.store import Store, llm_answers

KEY = "a" * 64
WHEN = datetime(2025, 4, 14, 21, 0, tzinfo=UTC)


def test_an_answer_is_read_back_by_its_key(store: Store):
    assert store.llm_answer(KEY) is None
    store.save_llm_answer(KEY, model="fake-model", answer="Problem: sync stops (#12).", now=WHEN)
    assert store.llm_answer(KEY) == "Problem: sync stops (#12)."
    assert store.llm_answer("b" * 64) is None


def test_the_first_answer_saved_under_a_key_stays(store: Store):
    store.save_llm_answer(KEY, model="fake-model", answer="first", now=WHEN)
    store.save_llm_answer(KEY, model="fake-model", answer="second", now=WHEN)
    assert store.llm_answer(KEY) == "first"


def test_processes_saving_one_key_at_once_all_succeed_and_one_answer_stays(backend_url):
    stores = [backend_url.store() for _ in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            saves = [
                pool.submit(stores[i % 4].save_llm_answer, KEY, model="m", answer=f"answer {i}", now=WHEN)
                for i in range(32)
            ]
            for save in saves:
                save.result()  # none raised
        assert stores[0].llm_answer(KEY) in {f"answer {i}" for i in range(32)}
        with stores[0].engine.connect() as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(llm_answers)).scalar_one()
        assert count == 1
    finally:
        for opened in stores:
            opened.close()


def test_the_table_is_created_with_the_others(backend_url):
    opened = backend_url.store()
    try:
        names = sa.inspect(opened.engine).get_table_names(schema=backend_url.schema)
    finally:
        opened.close()
    assert {"llm_answers", "digest_claims", "subscriptions"} <= set(names)
