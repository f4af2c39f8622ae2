"""Procedure inventory, digitalisation KPIs and open data.

Modules, each importable on its own:

* ``models``: the ``Procedure`` record and its coded values.
* ``labels``: Japanese and English labels of the coded values.
* ``csv_io``: survey spreadsheet CSV import and export.
* ``synthetic``: a seeded inventory matching the 2020 survey totals.
* ``kpi``: online-application rate, seal abolition, breakdowns and snapshots.
* ``usage``: usage KPIs from madoguchi application summaries.
* ``suppression``, ``opendata``, ``validation``: open-data files and their checks.

The package has no AWS calls; callers load and store the data.
"""
