"""Budgeting: campaign tracking, response curves, allocation strategies, forecasts and plans.

Plain Python (numpy, scipy, scikit-learn): no Ray here. `jobs/tune_budget.py` runs the Tune
searches over the objectives in `matrix.budget.tuning`. Modules: model (records), store
(Parquet under MATRIX_HOME/budget), importers, metrics, response (Hill + adstock posterior),
simulator (ground truth), constraints, optimize, strategies, forecast, plan, plots, cli.
"""

from matrix.budget.constraints import ConstraintError, Constraints
from matrix.budget.model import Campaign, DailyPerformance, PerformanceError

__all__ = ["Campaign", "DailyPerformance", "PerformanceError", "Constraints", "ConstraintError"]
