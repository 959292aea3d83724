#!/usr/bin/env bash
# The whole test suite: every test on SQLite, then the database tests again on a real PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin

"$BIN/ruff" check .
"$BIN/ruff" format --check .
"$BIN/mypy"
"$BIN/lint-imports"  # the layers and what connectors may use: [tool.importlinter] in pyproject.toml

export CHROMIUM=${CHROMIUM:-$(bash tests/chromium.sh)}  # the real browser of the UI tests

echo "== lane 1: SQLite (all tests)"
"$BIN/pytest" "$@"

echo "== lane 2: PostgreSQL (database tests)"
trap 'bash tests/postgres.sh stop' EXIT
TEST_DATABASE_URL=$(bash tests/postgres.sh) "$BIN/pytest" -m database "$@"
