#!/usr/bin/env python3
"""The I/O floor for `scripts/bench_scan.sh`: walk DIR and open + read every file fully
with os.open/os.read, parsing nothing.

Usage:

    python3 scripts/bench_raw.py DIR [--procs N]

Prints one line of JSON like scripts/bench_pydicom.py: files, bytes, seconds (walk + read,
interpreter start-up excluded) and files_per_s. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from multiprocessing import Pool

CHUNK = 1 << 20


def walk(root: str) -> list[str]:
    """The same sorted walk as scripts/bench_pydicom.py (kept here so this stays stdlib-only)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and name != "DICOMDIR":
                out.append(os.path.join(dirpath, name))
    return out


def read_all(path: str) -> int:
    fd = os.open(path, os.O_RDONLY)
    try:
        total = 0
        while True:
            block = os.read(fd, CHUNK)
            if not block:
                return total
            total += len(block)
    finally:
        os.close(fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir")
    parser.add_argument("--procs", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    paths = walk(args.dir)
    if args.procs > 1:
        with Pool(args.procs) as pool:
            sizes = pool.map(read_all, paths, chunksize=1024)
    else:
        sizes = [read_all(p) for p in paths]
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "tool": "raw",
                "procs": args.procs,
                "files": len(paths),
                "bytes": sum(sizes),
                "seconds": round(seconds, 3),
                "files_per_s": round(len(paths) / seconds, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
