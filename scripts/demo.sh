#!/usr/bin/env bash
# Runs the demo: installs the toolchain and dependencies when missing, starts
# the sandbox of outside systems (when present), the backend on :7007 and the
# app on http://localhost:3000. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
ML_GITOPS_INSTALL=1 source scripts/env.sh

configs=(--config "$PWD/app-config.yaml")
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# The sandbox emulates GitHub, Argo CD, Kubernetes/Flux and MLflow on loopback.
if [ -f packages/sandbox/package.json ] && [ -f app-config.sandbox.yaml ] && [ "${ML_GITOPS_NO_SANDBOX:-0}" != 1 ]; then
  echo "[ml-gitops] starting the sandbox (packages/sandbox)"
  set -m
  yarn workspace sandbox start &
  pids+=($!)
  set +m
  configs+=(--config "$PWD/app-config.sandbox.yaml")
fi
[ -f app-config.local.yaml ] && configs+=(--config "$PWD/app-config.local.yaml")

echo "[ml-gitops] starting the backend (:7007) and the app (http://localhost:3000)"
set -m
yarn start "${configs[@]}" &
pids+=($!)
set +m
wait "${pids[@]}"
