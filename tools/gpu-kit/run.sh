#!/bin/sh
# The Transformer lab on WebGPU with nothing installed but a Vulkan driver (Linux x86-64):
#   ./run.sh table [--config FILE]... [--precision P]... [--steps N] [--memory FILE | --no-memory]
#   ./run.sh bench --config configs/bench.json --backend webgpu [--json]
#   ./run.sh train --config configs/reverse.json --backend webgpu [--metrics M.jsonl]
# The first run unpacks Node and Dawn into runtime/ beside this script (or $LAB_KIT_RUNTIME).
set -eu
KIT=$(cd "$(dirname "$0")" && pwd)
RUNTIME=${LAB_KIT_RUNTIME:-$KIT/runtime}
mkdir -p "$RUNTIME"
unpack() { # unpack FILE.gz NAME MODE
  if [ ! -f "$RUNTIME/$2" ]; then
    gzip -dc "$KIT/$1" > "$RUNTIME/$2.part"
    chmod "$3" "$RUNTIME/$2.part"
    mv "$RUNTIME/$2.part" "$RUNTIME/$2"
  fi
}
unpack node.gz node 755
unpack dawn.node.gz dawn.node 644
export LAB_DAWN_NODE="$RUNTIME/dawn.node"
export LAB_TFJS_WASM_DIR="$KIT/wasm"
cd "$KIT"
if [ "${1:-table}" = table ]; then
  [ $# -gt 0 ] && shift
  exec "$RUNTIME/node" "$KIT/kit.mjs" "$@"
fi
exec "$RUNTIME/node" "$KIT/lab.mjs" "$@"
