"""Automation: declarative trigger rules -> de-duplicated firings -> a durable outbox of actions.

    rules (ray_config.yaml `triggers.rules`)  ->  TriggerEngine.evaluate()  ->  Outbox (SQLite)
                                                   TriggerEngine.dispatch() ->  handlers: recrawl,
                                                                                dork, rotate_key, notify
"""

from matrix.triggers.engine import DispatchReport, EvaluationReport, TriggerEngine
from matrix.triggers.outbox import ActionRecord, Outbox
from matrix.triggers.rules import Firing, RuleOutcome, RuleState, evaluate_rule

__all__ = ["ActionRecord", "DispatchReport", "EvaluationReport", "Firing", "Outbox", "RuleOutcome", "RuleState",
           "TriggerEngine", "evaluate_rule"]
