#!/usr/bin/env bash
# The CPU runs behind benchmarks/RESULTS.md, one after another (each writes bench_cpu_<name>.json/.md).
# Rerun on a quiet machine with more repeats: REPEATS=7 THREADS=2 bash benchmarks/bench_cpu.sh [name ...]
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${REPEATS:-3}
THREADS=${THREADS:-1}
run() {  # name, then rlt bench options
  local name=$1; shift
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then return; fi
  rlt bench "$@" --repeats "$REPEATS" --warmup 1 --threads "$THREADS" \
    --json "benchmarks/bench_cpu_$name.json" --md "benchmarks/bench_cpu_$name.md"
}
run vits_infer_b4_i4 --model vit-s --mode infer --batch-size 4 --interval 4
run vits_train_b4_i4 --model vit-s --mode train --batch-size 4 --interval 4 --reducers none,rlt,random,tome
run vitb_infer_b4_i4 --model vit-b --mode infer --batch-size 4 --interval 4 --reducers none,rlt,random,tome
run vits_infer_b4_i1 --model vit-s --mode infer --batch-size 4 --interval 1 --reducers none,rlt,random,tome
run vits_infer_b8_i4 --model vit-s --mode infer --batch-size 8 --interval 4 --reducers none,rlt,random
run vitb_train_b4_i4 --model vit-b --mode train --batch-size 4 --interval 4 --reducers none,rlt,random
run vits_train_b8_i4 --model vit-s --mode train --batch-size 8 --interval 4 --reducers none,rlt,random
run vitb_infer_b8_i4 --model vit-b --mode infer --batch-size 8 --interval 4 --reducers none,rlt,random
run vitb_infer_b4_i1 --model vit-b --mode infer --batch-size 4 --interval 1 --reducers none,rlt,random
run vits_train_b4_i1 --model vit-s --mode train --batch-size 4 --interval 1 --reducers none,rlt,random
