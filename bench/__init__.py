"""Benchmarks with their recorded results (`make bench`); not timed tests."""
