"""Run every benchmark and print its table: `python -m benchmarks [--quick]`."""

from __future__ import annotations

import argparse

from benchmarks import admin_pages, fanout, idle, latency, memory, throughput


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="lighter runs: 1,000 messages, 10,000-row backlogs and fan-outs, "
                             "up to 100,000 enrolled, small passes")
    args = parser.parse_args()
    if args.quick:
        throughput.main(["--count", "1000"])
        latency.main(["--backlog", "10000", "--signups", "20"])
        fanout.main(["--count", "10000"])
        idle.main(["--max", "100000"])
        memory.main(["--counts", "1000", "5000"])
        admin_pages.main(["--repeats", "5"])
    else:
        throughput.main([])
        latency.main([])
        fanout.main([])
        idle.main([])
        memory.main([])
        admin_pages.main([])


if __name__ == "__main__":
    main()
