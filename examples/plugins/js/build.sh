#!/bin/sh
# Builds build/latency-probe.wasm. Needs componentize-js on PATH (scripts/toolchains installs it
# from sdk/templates/js/package-lock.json: eval "$(scripts/toolchains --env)").
set -eu
cd "$(dirname "$0")"
mkdir -p build
componentize-js --wit ../../../wit --world-name chaosrt-plugin -o build/latency-probe.wasm app.js
