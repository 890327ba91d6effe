#!/usr/bin/env bash
# Set up and run the whole pipeline on the synthetic default cohort.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/snakemake --profile profiles/local all "$@"
