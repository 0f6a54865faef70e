#!/usr/bin/env bash
# The CPU runs behind benchmarks/RESULTS.md, one after another (each writes bench_cpu_<name>.json/.md).
# The first group was run for RESULTS.md on a loaded machine with REPEATS=3 THREADS=1 (vitb_infer_b4_i4 with
# REPEATS=5); WARMUP=0 for the big ones, where the untimed memory step is the warm-up. The second group is
# the rest of the issue's targets, to run on a quiet machine, e.g.  REPEATS=7 THREADS=2 bash benchmarks/bench_cpu.sh
# ONLY="name ..." runs just those.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${REPEATS:-3}
THREADS=${THREADS:-1}
run() {  # name, warmup, then rlt bench options
  local name=$1 warmup=$2; shift 2
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then return; fi
  rlt bench "$@" --repeats "$REPEATS" --warmup "${WARMUP:-$warmup}" --threads "$THREADS" \
    --json "benchmarks/bench_cpu_$name.json" --md "benchmarks/bench_cpu_$name.md"
}
run vits_infer_b4_i4 1 --model vit-s --mode infer --batch-size 4 --interval 4
run vits_infer_b4_i1 1 --model vit-s --mode infer --batch-size 4 --interval 1 --reducers none,rlt,random,tome
run vits_train_b4_i4 0 --model vit-s --mode train --batch-size 4 --interval 4 --reducers none,rlt,random
run vitb_infer_b4_i4 0 --model vit-b --mode infer --batch-size 4 --interval 4 --reducers none,rlt,random
run vits_infer_b8_i4 0 --model vit-s --mode infer --batch-size 8 --interval 4 --reducers none,rlt,random
run vitb_train_b4_i4 0 --model vit-b --mode train --batch-size 4 --interval 4 --reducers none,rlt,random
# The rest of the targets (batch 8 training, vit-b at interval 1, every reducer everywhere):
run vits_all_b4_b8_i4 1 --model vit-s --mode infer,train --batch-size 4,8 --interval 4
run vits_all_b4_b8_i1 1 --model vit-s --mode infer,train --batch-size 4,8 --interval 1
run vitb_all_b4_b8_i4 1 --model vit-b --mode infer,train --batch-size 4,8 --interval 4
run vitb_all_b4_b8_i1 1 --model vit-b --mode infer,train --batch-size 4,8 --interval 1
