"""``python -m survival_invest.synthetic --out DIR --seed N``: regenerate the bundled synthetic data."""

from survival_invest.synthetic.cli import main

raise SystemExit(main())
