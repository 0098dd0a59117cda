"""`python -m bench` (make bench): run every benchmark; each records its results in
bench/RESULTS.md."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ["bench.read_api", "bench.upgrades", "bench.seats", "bench.grace_expiry"]


def main() -> int:
    for module in BENCHMARKS:
        result = subprocess.run([sys.executable, "-m", module, *sys.argv[1:]], check=False)
        if result.returncode != 0:
            return result.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
