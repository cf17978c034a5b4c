"""Run every benchmark and print its table: `python -m benchmarks [--quick]`."""

from __future__ import annotations

import argparse
import os

from benchmarks import admin_pages, fanout, idle, latency, load, memory, soak, throughput


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="lighter runs: 1,000 messages, 10,000-row backlogs and fan-outs, "
                             "up to 100,000 enrolled, small passes, 10 s of load, a short soak")
    args = parser.parse_args()
    if args.quick:
        throughput.main(["--count", "1000"])
        latency.main(["--backlog", "10000", "--signups", "20"])
        fanout.main(["--count", "10000"])
        idle.main(["--max", "100000"])
        memory.main(["--counts", "1000", "5000"])
        admin_pages.main(["--repeats", "5"])
        soak.main(["--quick"])
    else:
        throughput.main([])
        latency.main([])
        fanout.main([])
        idle.main([])
        memory.main([])
        admin_pages.main([])
        soak.main([])
    if os.environ.get("BENCH_DATABASE_URL"):  # the load benchmark runs on PostgreSQL only
        load.main(["--quick"] if args.quick else [])
    else:
        print("load: skipped, set BENCH_DATABASE_URL (it runs on PostgreSQL only)")


if __name__ == "__main__":
    main()
