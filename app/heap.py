"""The garbage collector of a serving API process.

A users page allocates a few hundred thousand objects (rows, nodes, the response's dicts),
nearly all freed by reference counting when the request ends; the cyclic collector finds
almost nothing to free, yet under the default thresholds (700, 10, 10) it ran a young
collection every 700 allocations and promoted the objects of the requests in flight to
older generations, whose collections then walked every long-lived object of the process
(modules, the schema, the compiled plans): 9 % of the server's samples on SQLite and 22 %
on PostgreSQL under the read benchmark.

So, once the app has started: what exists then (imports, the schema) is moved out of the
collector's sight for good (`gc.freeze`), and young collections run every 200,000 net
allocations of containers, which lets a request's objects die young instead of reaching
the old generations. Cycles are still collected, only less often; memory between
collections grows by at most the cyclic garbage of that many allocations (tens of MB at
worst; a request's objects are freed by reference counting whatever the thresholds).

Measured on the users page (PostgreSQL, CPU per request, 3 interleaved rounds on a busy
machine): 36.2 ms with gc.freeze alone and the default thresholds, 24.5 ms with young
collections every 50,000, 22.8 ms every 200,000, 22.8 ms with the collector disabled.
Since the loaders let go of their rows at the end of a request (Loaders.release), little
is left for the collector, and the thresholds no longer make a difference that stands out
of the noise (two runs each on a machine with a load average of 7: 28.4 and 28.0 ms at
200,000 against 30.4 and 28.4 ms with the defaults): they stay, as the cheaper setting.
"""

from __future__ import annotations

import gc

# Allocations (net of deallocations) between young collections, then young collections
# per middle one and middle collections per full one.
THRESHOLDS = (200_000, 50, 1000)


def settle_after_startup() -> None:
    """Freeze what the process holds after start-up and raise the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
