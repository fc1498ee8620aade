#!/usr/bin/env bash
# Quick start, part 1: set up, then run the demo on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent demo
