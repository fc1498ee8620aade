#!/usr/bin/env bash
# Quick start, part 2: set up, then run the whole test suite. Its last line
# is "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test --silent
