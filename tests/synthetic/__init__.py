"""Tests of survival_invest.synthetic (a package, so that test_cli.py here and tests/test_cli.py do not collide)."""
