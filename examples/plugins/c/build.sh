#!/bin/sh
# Builds build/checksum-probe.wasm with Debian's clang, lld and wasi-libc (scripts/toolchains
# installs them). Two steps need WebAssembly tooling; by default they use the workspace's
# chaosrt-wit-c (scripts/toolchains builds it), or the upstream tools if you set:
#   BINDGEN="wit-bindgen c --world chaosrt-plugin --out-dir build/bindings ../../../wit"
#   COMPONENT="wasm-tools component new build/checksum.core.wasm \
#              --adapt wasi_snapshot_preview1=wasi_snapshot_preview1.reactor.wasm -o build/checksum-probe.wasm"
set -eu
cd "$(dirname "$0")"
mkdir -p build/bindings
${BINDGEN:-chaosrt-wit-c bindgen ../../../wit --world chaosrt-plugin --out-dir build/bindings}
# A reactor: no main; the host calls the exports. -Os and -s keep the component small.
clang --target=wasm32-wasi -mexec-model=reactor -Os -s -std=c11 -Wall -Wextra -Werror \
  -Wno-unused-parameter \
  -I build/bindings -I src \
  src/checksum.c src/json.c src/sha256.c build/bindings/chaosrt_plugin.c \
  build/bindings/chaosrt_plugin_component_type.o \
  -o build/checksum.core.wasm
${COMPONENT:-chaosrt-wit-c component build/checksum.core.wasm -o build/checksum-probe.wasm}
