"""Tests of survival_invest.report (a package, so that test_tables.py here and in tests/io do not collide)."""
