#!/usr/bin/env bash
# The project's test command (`npm test`): makes sure the machine is ready
# (scripts/setup.sh --no-build --with-nova, quick when it is), type-checks everything,
# refreshes dist/ if an earlier build left it older than the sources, then runs
# vitest with any arguments given (e.g. `npm test -- --project unit`).
# The exit code is vitest's.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

# --with-nova: the Debian packages of the e2e all-in-one Nova (test/e2e/aio.sh),
# which the e2e project's global set-up brings up.
bash scripts/setup.sh --no-build --quiet --with-nova
echo "test: type-checking (tsc --noEmit)"
npx --no-install tsc --noEmit -p tsconfig.json

# bin/ prefers the compiled dist/ when it exists, so tests that start the CLI
# would run old code from a stale build; without dist/ they run the sources via tsx.
if [ -d dist ]; then
  if [ ! -f dist/.build-stamp ] || [ -n "$(find src glance -name '*.ts' -newer dist/.build-stamp -print -quit 2>/dev/null)" ]; then
    echo "test: dist/ is older than the sources; rebuilding (npm run build)"
    npm run --silent build </dev/null
    touch dist/.build-stamp
  fi
fi

exec npx --no-install vitest run "$@"
