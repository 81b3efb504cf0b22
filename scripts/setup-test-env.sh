#!/usr/bin/env bash
# Installs what the host and browser test layers need, cached OUTSIDE the repository so a second run
# costs seconds: Node 24 (code-server needs it; its include/ headers let node-gyp build native
# modules offline), code-server (the real VS Code workbench + extension host, from the npm
# registry, because VS Code's own download servers may be unreachable), and Debian's chromium.
# Idempotent: every step checks a marker first; concurrent runs wait on a lock. `--print-env` prints
# the tools' paths as VAR=value lines.
set -euo pipefail

CACHE="${PIPEWISE_CACHE:-$HOME/.cache/pipewise}"
NODE_VERSION="24.21.0"
CODE_SERVER_VERSION="4.139.1"
NODE_DIR="$CACHE/node-$NODE_VERSION"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
case "$(uname -m)" in x86_64) NODE_ARCH=x64 ;; aarch64) NODE_ARCH=arm64 ;; *) NODE_ARCH="$(uname -m)" ;; esac
NODE_HOME="$NODE_DIR/node_modules/node-linux-$NODE_ARCH"
CS_BIN="$CS_DIR/node_modules/code-server/out/node/entry.js"

log() { printf '[setup] %s\n' "$*" >&2; }

if [[ "${1:-}" == "--print-env" ]]; then
  echo "PIPEWISE_NODE24=$NODE_HOME/bin/node"
  echo "PIPEWISE_CODE_SERVER=$CS_BIN"
  echo "PIPEWISE_CHROMIUM=$(command -v chromium || true)"
  exit 0
fi

mkdir -p "$CACHE"
# Two test runs starting together on an empty cache must not install into the same folder at once.
exec 9>"$CACHE/.setup.lock"
flock 9
export DEBIAN_FRONTEND=noninteractive
# Run from `npm test`, we inherit the outer npm's npm_* variables; npm_config_user_agent (node/v20)
# would make code-server's postinstall refuse Node 24. Start the nested installs clean.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -i '^npm_' || true)
unset NODE

apt_updated=0
apt_install() {
  # Installs Debian packages that are missing; `apt-get update` at most once per run.
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo -n)
  if ((apt_updated == 0)); then
    log "apt-get update"
    "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt_updated=1
  fi
  log "apt-get install ${missing[*]}"
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# 1. System packages: chromium for the browser layer, libkrb5-dev for code-server's `kerberos`
#    module, a C++ toolchain for node-gyp, and the independent oracles the unit and worker tests
#    compare with (Debian's scikit-learn, pandas, SciPy and nbformat, run as /usr/bin/python3;
#    `file` and binutils' `readelf` for the packaging tests' check of each VSIX's native binaries).
apt_install chromium libkrb5-dev build-essential python3 unzip file binutils \
  python3-sklearn python3-pandas python3-scipy python3-numpy python3-nbformat
# ONNX models the Importer tests build with onnx.helper (test/worker/onnx-import.test.ts).
apt_install python3-onnx
# Public tables the training-defaults tests compare against linear oracles (R's mlbench: BostonHousing,
# PimaIndiansDiabetes2, Sonar, Glass; exported to CSV with Rscript).
apt_install r-cran-mlbench
# Public tables the decision-forest oracle test compares with scikit-learn (test/worker/tf-trees-oracle.test.ts:
# carData's Mroz, Wells, SLID).
apt_install r-cran-cardata
# … and AER's CPS1985 (r-cran-aer; it brings car and its dependencies, about 150 small R packages).
apt_install r-cran-aer

# 2. Node 24 from the npm registry. The `node` package only runs a preinstall that fetches the
#    platform package `node-linux-<arch>` (binary + include/ headers); npm 11 blocks install scripts
#    by default, so install that platform package directly.
if [[ ! -x "$NODE_HOME/bin/node" ]]; then
  log "installing node-linux-$NODE_ARCH@$NODE_VERSION into $NODE_DIR"
  rm -rf "$NODE_DIR" && mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && echo '{"private":true}' >package.json && npm install --no-audit --no-fund --no-save "node-linux-$NODE_ARCH@$NODE_VERSION" >"$NODE_DIR/install.log" 2>&1) \
    || { tail -30 "$NODE_DIR/install.log" >&2; exit 1; }
fi
"$NODE_HOME/bin/node" -e 'if (!process.version.startsWith("v24.")) { console.error(process.version); process.exit(1) }'

# 3. code-server, built with Node 24 first on PATH and node-gyp pointed at its headers.
if [[ ! -f "$CS_DIR/.complete" ]]; then
  log "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (takes a few minutes; log: $CS_DIR/install.log)"
  rm -rf "$CS_DIR" && mkdir -p "$CS_DIR"
  start=$(date +%s)
  (
    cd "$CS_DIR"
    export PATH="$NODE_HOME/bin:$PATH"
    export npm_config_nodedir="$NODE_HOME"
    # code-server's postinstall runs nested `npm install`s that build native modules (node-pty,
    # kerberos, ...); npm 11 would silently skip those scripts, so allow them for this pinned install.
    export npm_config_dangerously_allow_all_scripts=true
    echo '{"private":true}' >package.json
    npm install --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION"
  ) >"$CS_DIR/install.log" 2>&1 || { tail -40 "$CS_DIR/install.log" >&2; exit 1; }
  [[ -f "$CS_BIN" ]] || { log "code-server entry point missing: $CS_BIN"; exit 1; }
  touch "$CS_DIR/.complete"
  log "code-server installed in $(( $(date +%s) - start )) s"
fi

# 4. tfjs-node built against a local TensorFlow C library, when the machine has one (skips otherwise).
bash "$(dirname "${BASH_SOURCE[0]}")/setup-tfjs-node.sh" || true

log "ready: node $("$NODE_HOME/bin/node" -v), code-server $CODE_SERVER_VERSION, $(command -v chromium)"
