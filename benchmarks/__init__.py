"""Delivery benchmarks: `python -m benchmarks` runs all; each module also runs alone.

PostgreSQL runs too when BENCH_DATABASE_URL names a database that may be wiped.
"""
