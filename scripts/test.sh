#!/usr/bin/env bash
# Set up (dev extras) and run the whole test suite with line coverage of matrix/, jobs/, serve_apps/.
#   bash scripts/test.sh [pytest args...]
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev || exit 1
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RAY_USAGE_STATS_ENABLED=0 TOKENIZERS_PARALLELISM=false
export PYTHONDONTWRITEBYTECODE=1
mkdir -p test-artifacts
# Static checks first (issue 17; rules in pyproject.toml): ruff = lint + mccabe complexity <= 15,
# mypy = the strict subset. Any finding fails the run before a test starts.
.venv/bin/ruff check matrix jobs serve_apps || { echo "ruff: findings above fail the run" >&2; exit 1; }
.venv/bin/mypy || { echo "mypy: type errors above fail the run" >&2; exit 1; }
.venv/bin/python -m pytest \
  --cov=matrix --cov=jobs --cov=serve_apps --cov-report=term --cov-report=xml:test-artifacts/coverage.xml \
  --cov-fail-under=80 --durations=15 "$@"
rc=$?
if [[ $rc == 5 ]]; then
  echo "pytest collected no tests: treating as failure" >&2
  exit 1
fi
exit $rc
