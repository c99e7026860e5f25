"""Reports of a monthly run: labels (i18n), tables, case pages, plots, writers, the run record, the run history.

Modules, in the order a run uses them: :mod:`~.privacy` blanks estimates
resting on too few persons; :mod:`~.tables` builds the tables; :mod:`~.plots`
draws the figures; :mod:`~.pages` assembles case pages, the HTML page and the
workbook's sheets (rendered by :mod:`~.writers`); :mod:`~.manifest` makes
``run.json``; :mod:`~.history` stores every run. Every Danish and English
label and number format is in :mod:`~.i18n`. No module here writes a report
file: :mod:`survival_invest.pipeline.monthly` does.
"""
