#!/usr/bin/env bash
# The project's test command (`npm test`): makes sure the machine is ready
# (scripts/setup.sh --no-build, quick when it is), type-checks everything, then
# runs vitest with any arguments given (e.g. `npm test -- --project unit`).
# The exit code is vitest's.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

bash scripts/setup.sh --no-build --quiet
echo "test: type-checking (tsc --noEmit)"
npx --no-install tsc --noEmit -p tsconfig.json
exec npx --no-install vitest run "$@"
