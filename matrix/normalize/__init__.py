"""Text -> typed terms. Plain Python, no Ray: commission, cookie, geo, category, domain, text.

Every parser returns unknown (None / UNKNOWN) for text it does not understand: a wrong guess
is worse than a gap, because it ranks a program above ones whose terms are real.
"""
