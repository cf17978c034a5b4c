"""Run every benchmark and print its table: `python -m benchmarks [--quick]`."""

from __future__ import annotations

import argparse

from benchmarks import admin_pages, idle, memory, throughput


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="lighter runs: 1,000 messages, up to 100,000 enrolled, small passes")
    args = parser.parse_args()
    if args.quick:
        throughput.main(["--count", "1000"])
        idle.main(["--max", "100000"])
        memory.main(["--counts", "1000", "5000"])
        admin_pages.main(["--repeats", "5"])
    else:
        throughput.main([])
        idle.main([])
        memory.main([])
        admin_pages.main([])


if __name__ == "__main__":
    main()
