"""The garbage collector of a serving API process.

A users page allocates a few hundred thousand objects (rows, nodes, the response's dicts),
nearly all freed by reference counting when the request ends; the cyclic collector finds
almost nothing to free, yet under the default thresholds (700, 10, 10) it ran a young
collection every 700 allocations and promoted the objects of the requests in flight to
older generations, whose collections then walked every long-lived object of the process
(modules, the schema, the compiled plans): 9 % of the server's samples on SQLite and 22 %
on PostgreSQL under the read benchmark.

So, once the app has started: what exists then (imports, the schema) is moved out of the
collector's sight for good (`gc.freeze`), and young collections run every 50,000
allocations, which lets a request's objects die young instead of reaching the old
generations. Cycles are still collected, only less often; memory between collections
grows by at most the young generation (a few MB).
"""

from __future__ import annotations

import gc

# Allocations (net of deallocations) between young collections, then young collections
# per middle one and middle collections per full one.
THRESHOLDS = (50_000, 20, 100)


def settle_after_startup() -> None:
    """Freeze what the process holds after start-up and raise the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
