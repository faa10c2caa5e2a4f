#!/bin/sh
# Builds build/jmespath-probe.wasm. Needs componentize-py on PATH (scripts/toolchains installs it:
# eval "$(scripts/toolchains --env)").
set -eu
cd "$(dirname "$0")"
python3 -m pip install --quiet --disable-pip-version-check --target build/deps -r requirements.txt
componentize-py -d ../../../wit -w chaosrt-plugin componentize app -p . -p build/deps -o build/jmespath-probe.wasm
