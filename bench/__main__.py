"""`python -m bench`: run every benchmark and record the results in bench/RESULTS.md."""

from __future__ import annotations

import sys


def main() -> int:
    print("no benchmarks yet: the read-API benchmark comes with the read API", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
