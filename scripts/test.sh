#!/usr/bin/env bash
# Runs every check the project has and exits non-zero on any failure:
# formatting, lint, type check, API reports, unit and integration tests
# (SQLite and a private PostgreSQL cluster), and the end-to-end tests in
# Chromium.
# Installs what it needs first (toolchain, dependencies, PostgreSQL, Chromium,
# git, openssl, pytest).
#
#   scripts/test.sh            # everything
#   scripts/test.sh --no-e2e   # skip the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

run_e2e=1
for arg in "$@"; do
  case "$arg" in
    --no-e2e) run_e2e=0 ;;
    *) echo "usage: $0 [--no-e2e]" >&2; exit 2 ;;
  esac
done

started=$(date +%s)
step() { printf '\n[ml-gitops] == %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }

step "toolchain and dependencies"
ML_GITOPS_INSTALL=1 source scripts/env.sh

if [ "$run_e2e" = 1 ]; then
  step "Chromium"
  bash scripts/ensure-chromium.sh
fi

# Debian packages the tests need, installed through apt when run as root.
apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}

# git and openssl are used by tests (real repositories; throw-away certificates).
for tool in git openssl; do
  if ! command -v "$tool" >/dev/null 2>&1 && ! apt_install "$tool"; then
    echo "[ml-gitops] $tool is required by the tests; install it" >&2
    exit 2
  fi
done

# pytest runs the Python tests of the model code repo the template renders
# (modelCodeRepoTemplate.test.ts fails without it under CI).
if ! python3 -m pytest --version >/dev/null 2>&1; then
  apt_install python3-pytest || true
  if ! python3 -m pytest --version >/dev/null 2>&1; then
    echo "[ml-gitops] pytest is required by the tests (python3 -m pytest); install python3-pytest" >&2
    exit 2
  fi
fi

step "PostgreSQL"
pg_url="$(bash scripts/postgres.sh start)"
cleanup() { bash scripts/postgres.sh stop || true; }
trap cleanup EXIT
# TestDatabases (@backstage/backend-test-utils) uses this cluster instead of
# Docker; tests that need PostgreSQL fail rather than skip when it is missing.
export BACKSTAGE_TEST_DISABLE_DOCKER=1
export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="$pg_url"
export ML_GITOPS_REQUIRE_POSTGRES=1

step "formatting (prettier)"
yarn prettier:check

step "licence headers"
node scripts/license-headers.mjs

step "lint"
yarn lint:all

step "type check"
# Not incremental: declarations left in dist-types/ by an earlier run can
# print a union in another order than a fresh build, and the API reports
# below compare what a fresh build prints.
yarn tsc --incremental false

# The public API of every published package against its committed report
# (report.api.md, cli-report.md). Reads the declarations the type check just
# wrote to dist-types/; after an intended API change run
# `yarn build:api-reports` and commit the reports.
step "API reports"
yarn build:api-reports:only --ci

step "changesets (every changed public API has one)"
node --test scripts/*.test.mjs
node scripts/changesets.mjs

step "package metadata (backstage-cli repo fix --publish --check)"
yarn fix --publish --check

step "unit and integration tests"
CI=true yarn test --maxWorkers=2

if [ "$run_e2e" = 1 ]; then
  step "end-to-end tests (Playwright + Chromium against the demo)"
  yarn test:e2e
fi

step "all checks passed"
