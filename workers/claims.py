"""Taking due jobs off the queue: one Redis round trip for all the jobs a poll starts.

arq's worker claims each job on its own (WATCH its in-progress key, EXISTS, ZSCORE, then
MULTI/PSETEX/EXEC: four round trips per job, made one job after the other by the polling
loop); at 200 emails a second that was a large part of a worker's CPU (bench/RESULTS.md,
emails). Here one Lua script makes the same checks and the same claim for every job id of
a poll, atomically (a script runs alone in Redis, as the WATCH made arq's claim):

- a job another worker runs (its in-progress key exists) is left to it;
- a job no longer in the queue (finished, or deleted) or not yet due (deferred again
  meanwhile) is left alone;
- any other is claimed: its in-progress key is set for arq's in_progress_timeout, as arq
  does, so a worker killed while running it leaves it to be run again after that time.

The claimed jobs then run through arq's own run_job (fetch, run, result, finish) unchanged.
A poll claims only as many jobs as the worker has free slots (max_jobs); with none free it
does not fetch at all (arq's check), and the next poll comes poll_delay later.
"""

from __future__ import annotations

from typing import Any

from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker
from redis.commands.core import AsyncScript

# KEYS: the queue, then the in-progress key of each job; ARGV: now (ms), the in-progress
# timeout (ms), then the job ids. Returns the claimed ids and their scores, flat.
CLAIM_SCRIPT = """
local claimed = {}
local now = tonumber(ARGV[1])
for i = 3, #ARGV do
  local in_progress = KEYS[i - 1]
  if redis.call('EXISTS', in_progress) == 0 then
    local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
    if score and tonumber(score) > 0 and tonumber(score) <= now then
      redis.call('PSETEX', in_progress, ARGV[2], '1')
      claimed[#claimed + 1] = ARGV[i]
      claimed[#claimed + 1] = score
    end
  end
end
return claimed
"""


class BatchClaims(Worker):
    """arq's Worker, claiming the jobs of a poll in one round trip (module docstring)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._claim_script: AsyncScript | None = None  # registered on the pool at first use

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        free = self.max_jobs - self.job_counter
        if free <= 0 or not job_ids:
            return
        if self._claim_script is None:
            self._claim_script = self.pool.register_script(CLAIM_SCRIPT)
        ids = [job_id.decode() for job_id in job_ids[:free]]
        keys = [self.queue_name, *(in_progress_key_prefix + job_id for job_id in ids)]
        in_progress_ms = int(self.in_progress_timeout_s * 1000)
        claimed = await self._claim_script(keys=keys, args=[timestamp_ms(), in_progress_ms, *ids])
        for index in range(0, len(claimed), 2):
            job_id = claimed[index].decode()
            score = int(float(claimed[index + 1]))
            # Never waits: the slots were counted free above and nothing took one since.
            await self.sem.acquire()
            self.job_counter += 1
            task = self.loop.create_task(self.run_job(job_id, score))
            task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
            self.tasks[job_id] = task
