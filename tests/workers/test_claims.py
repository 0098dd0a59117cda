"""Claiming due jobs (workers/claims.py): the jobs of a poll taken in one round trip, with
arq's checks: a job runs once however many workers poll the queue, never before it is due,
never while another worker runs it, and a worker takes no more jobs than it has free
slots."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.constants import default_queue_name, in_progress_key_prefix
from arq.worker import Worker

from infra.settings import Settings
from tests.workers.conftest import run_worker
from workers.main import build_worker

SEEN: list[str] = []


async def record(ctx: dict[str, Any], label: str) -> None:
    SEEN.append(label)


@pytest.fixture(autouse=True)
def seen() -> Iterator[list[str]]:
    SEEN.clear()
    yield SEEN
    SEEN.clear()


def polling_worker(settings: Settings, queue: ArqRedis, **overrides: Any) -> Worker:
    """A worker on the test queue, whose polls the test makes itself (start_jobs)."""
    return build_worker(
        settings,
        manage_database=False,
        redis_pool=queue,
        functions=[record],
        cron_jobs=[],
        handle_signals=False,
        **overrides,
    )


async def finish(worker: Worker) -> None:
    await asyncio.gather(*worker.tasks.values())


async def test_two_workers_on_one_queue_run_each_job_once(
    settings: Settings, queue: ArqRedis, seen: list[str]
) -> None:
    # Given 30 due jobs
    for number in range(30):
        await queue.enqueue_job("record", f"job {number}", _job_id=f"job:{number}")
    # When two workers poll the queue at the same time until it is empty
    first, second = await asyncio.gather(
        run_worker(settings, functions=[record]), run_worker(settings, functions=[record])
    )
    # Then each job ran once
    assert sorted(seen) == sorted(f"job {number}" for number in range(30))
    assert first.jobs_complete + second.jobs_complete == 30
    assert await queue.zcard(default_queue_name) == 0


async def test_a_poll_claims_the_due_jobs_only(
    settings: Settings, queue: ArqRedis, seen: list[str]
) -> None:
    # Given a due job, a due job that another worker runs, a job not due for an hour
    # (deferred again since this worker read the queue) and a job no longer queued
    await queue.enqueue_job("record", "due", _job_id="due")
    await queue.enqueue_job("record", "running elsewhere", _job_id="elsewhere")
    await queue.psetex(in_progress_key_prefix + "elsewhere", 60_000, b"1")
    await queue.enqueue_job("record", "later", _job_id="later", _defer_by=dt.timedelta(hours=1))
    worker = polling_worker(settings, queue)
    # When a poll hands all four ids to the worker
    await worker.start_jobs([b"due", b"elsewhere", b"later", b"gone"])
    await finish(worker)
    # Then only the due job ran
    assert seen == ["due"]
    assert (worker.jobs_complete, worker.job_counter) == (1, 0)
    # and the others are as they were: still queued, the running one still claimed by
    # the other worker, the deferred one by nobody
    queued = await queue.zrange(default_queue_name, 0, -1)
    assert sorted(queued) == [b"elsewhere", b"later"]
    assert await queue.pttl(in_progress_key_prefix + "elsewhere") > 50_000
    assert not await queue.exists(in_progress_key_prefix + "later")
    assert not await queue.exists(in_progress_key_prefix + "gone")


async def test_a_poll_claims_no_more_jobs_than_the_worker_has_free_slots(
    settings: Settings, queue: ArqRedis, seen: list[str]
) -> None:
    # Given a worker running at most two jobs at once, and four due jobs
    worker = polling_worker(settings, queue, max_jobs=2)
    for number in range(4):
        await queue.enqueue_job("record", f"job {number}", _job_id=f"job:{number}")
    ids = [f"job:{number}".encode() for number in range(4)]
    # When a poll hands it the four
    await worker.start_jobs(ids)
    # Then it claimed two (the first two), and left the others to the next poll or worker
    assert sorted(worker.tasks) == ["job:0", "job:1"]
    claimed = [await queue.exists(in_progress_key_prefix + f"job:{n}") for n in range(4)]
    assert claimed == [1, 1, 0, 0]
    await finish(worker)
    # When the next poll comes after they finished
    await worker.start_jobs(ids[2:])
    await finish(worker)
    # Then the other two ran
    assert sorted(seen) == ["job 0", "job 1", "job 2", "job 3"]
    assert worker.job_counter == 0
