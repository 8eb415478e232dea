#!/usr/bin/env bash
# shard.sh — run one shard of an orchsim sweep on a batch system, or merge them.
#
#   shard.sh EXPERIMENT.toml OUT_DIR     run this task's shard into OUT_DIR/shard-K
#   shard.sh merge OUT_DIR               merge OUT_DIR/shard-* into OUT_DIR
#
# Which shard this task is comes from the batch system:
#   Slurm job array (sbatch --array=1-N):  SLURM_ARRAY_TASK_ID (1..N), and N from SHARDS if set,
#                                          else SLURM_ARRAY_TASK_COUNT (resubmitting one task,
#                                          --array=K, needs --export=ALL,SHARDS=N)
#   Kubernetes Indexed Job:                JOB_COMPLETION_INDEX (0..N-1), SHARDS=N (= .spec.completions)
#   anything else:                         SHARD=K and SHARDS=N
# OUT_DIR must be on storage every task sees (a shared filesystem, a
# ReadWriteMany volume). Every task resumes its own shard, so a requeued or
# restarted task only runs what its predecessor did not finish. Threads per
# task: ORCHSIM_JOBS, else SLURM_CPUS_PER_TASK, else every core.
set -euo pipefail

ORCHSIM=${ORCHSIM:-orchsim}

if [[ ${1:-} == merge ]]; then
  out=${2:?usage: shard.sh merge OUT_DIR}
  shopt -s nullglob
  shards=("$out"/shard-*)
  ((${#shards[@]})) || { echo "shard.sh: no $out/shard-* directories to merge" >&2; exit 2; }
  exec "$ORCHSIM" merge "${shards[@]}" --out "$out"
fi

experiment=${1:?usage: shard.sh EXPERIMENT.toml OUT_DIR}
out=${2:?usage: shard.sh EXPERIMENT.toml OUT_DIR}
if [[ -n ${SLURM_ARRAY_TASK_ID:-} ]]; then
  k=$SLURM_ARRAY_TASK_ID
  n=${SHARDS:-${SLURM_ARRAY_TASK_COUNT:?submit as an array from 1: sbatch --array=1-N}}
elif [[ -n ${JOB_COMPLETION_INDEX:-} ]]; then
  k=$((JOB_COMPLETION_INDEX + 1))
  n=${SHARDS:?set SHARDS to the completions of the Indexed Job}
else
  k=${SHARD:?set SHARD=K and SHARDS=N (or run under Slurm or a Kubernetes Indexed Job)}
  n=${SHARDS:?set SHARDS=N}
fi
jobs=${ORCHSIM_JOBS:-${SLURM_CPUS_PER_TASK:-0}}
args=(sweep "$experiment" --shard "$k/$n" --out "$out/shard-$k" --resume --no-chart --quiet)
if ((jobs > 0)); then args+=(--jobs "$jobs"); fi
echo "shard $k/$n of $experiment -> $out/shard-$k" >&2
exec "$ORCHSIM" "${args[@]}"
