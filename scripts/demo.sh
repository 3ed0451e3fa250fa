#!/usr/bin/env bash
# Runs the demo: installs the toolchain and dependencies when missing, starts
# the sandbox of outside systems (when present), the backend on :7007 and the
# app on http://localhost:3000. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
ML_GITOPS_INSTALL=1 source scripts/env.sh

configs=(--config "$PWD/app-config.yaml")
pids=()
# Stops a process and everything it started (yarn → backstage-cli → node).
kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill_tree "$pid"; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# The sandbox emulates GitHub, Argo CD, Kubernetes/Flux and MLflow on loopback.
if [ -f packages/sandbox/package.json ] && [ -f app-config.sandbox.yaml ] && [ "${ML_GITOPS_NO_SANDBOX:-0}" != 1 ]; then
  echo "[ml-gitops] starting the sandbox (packages/sandbox)"
  yarn workspace sandbox start &
  pids+=($!)
  configs+=(--config "$PWD/app-config.sandbox.yaml")
fi
[ -f app-config.local.yaml ] && configs+=(--config "$PWD/app-config.local.yaml")

echo "[ml-gitops] starting the backend (:7007) and the app (http://localhost:3000)"
yarn start "${configs[@]}" &
pids+=($!)
# Stop everything as soon as one part exits (e.g. a port already in use).
wait -n "${pids[@]}"
