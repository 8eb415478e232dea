#!/usr/bin/env bash
# Peak memory of replaying a fixed one-hour window of a trace, and of
# `trace inspect`, as the trace file grows from 1 M to 10 M rows: the replay
# should cost the same whatever the file's length, and inspect stay bounded.
#
#   benches/trace-memory.sh [BIN ...]      (default: target/release/orchsim)
#
# Generates, into target/trace-memory/ (never committed; 1.3 GB, reused by
# later runs; awk's %d is 32-bit in mawk, hence %.0f for large integers), a native-format trace and a Google 2011 task_events table of
# 1 M and 10 M rows each, the 1 M file the first tenth of the 10 M one:
#   native: a task every 0.36 s (10,000 an hour), so 100 h or 1,000 h;
#   google: a task every 0.36 s as SUBMIT, SCHEDULE and, 360, 1,800 or
#           3,600 s later, FINISH (three rows a task), so 33 h or 333 h.
# Then, for each BIN and file, runs under /usr/bin/time -v
#   orchsim run <scenario replaying trace time [1 h, 2 h)> --no-chart
#   orchsim trace inspect <file>
# and prints the maximum resident set size (and the wall time: on a shared
# machine only a rough figure), and for 10 M rows its ratio to 1 M: flat
# memory is a ratio near 1. Pass two binaries (before, after) to compare
# them in one sitting.
set -euo pipefail
cd "$(dirname "$0")/.."
bins=("$@")
[[ ${#bins[@]} -gt 0 ]] || bins=(target/release/orchsim)
dir=target/trace-memory
mkdir -p "$dir"

# native ROWS > file: header, then task k at k * 0.36 s.
native() {
  awk -v rows="$1" 'BEGIN {
    print "submit_s,job,task,instances,duration_s,cpu,memory_bytes,gpus,gpu_milli,priority,class,outcome,depends_on"
    for (k = 0; k < rows; k++)
      printf "%.2f,%.0f,%d,%d,%d,%.2f,%.0f,0,0,%d,%d,finished,\n", k * 0.36, int(k / 10), k % 10, 1 + k % 3,
        60 + (k * 7919) % 3540, 0.25 * (1 + k % 4), 268435456 * (1 + k % 8), k % 12, k % 4
  }'
}

# google ROWS > file: time-ordered task events. Step k (at k * 0.36 s)
# submits and schedules task k and finishes the task of each duration class
# c (k % 3 == c: 1,000, 5,000 or 10,000 steps) that started that many steps
# before.
google() {
  awk -v rows="$1" 'BEGIN {
    split("1000 5000 10000", steps, " ")
    n = 0
    for (k = 0; n < rows; k++) {
      t = k * 360000
      for (c = 0; c < 3 && n < rows; c++) {
        j = k - steps[c + 1]
        if (j >= 0 && j % 3 == c) { ev(t, j, 4); n++ }
      }
      if (n < rows) { ev(t, k, 0); n++ }
      if (n < rows) { ev(t, k, 1); n++ }
    }
  }
  function ev(t, j, type) {
    printf "%.0f,,%.0f,%d,,%d,u,%d,%d,%.4f,%.4f,0.0001,0\n", t, 6000000 + int(j / 10), j % 10, type, j % 4, j % 12, 0.0625 * (1 + j % 4), 0.01 * (1 + j % 8)
  }'
}

for rows in 1000000 10000000; do
  [[ -s $dir/native-$rows.csv ]] || { echo "generating $dir/native-$rows.csv" >&2; native $rows >"$dir/native-$rows.csv"; }
  [[ -s $dir/google-$rows/part-00000-of-00001.csv ]] || {
    echo "generating $dir/google-$rows" >&2
    mkdir -p "$dir/google-$rows"
    google $rows >"$dir/google-$rows/part-00000-of-00001.csv"
  }
done

# scenario FORMAT TASKS > file: one hour of trace time from 1 h, on 1,000 16-core nodes.
scenario() {
  local extra=""
  [[ $1 == google-2011 ]] && extra=$'machine_cpu = 16\nmachine_memory = "64Gi"'
  cat <<EOF
name = "trace-memory"
description = "one hour of a generated trace (benches/trace-memory.sh)"
seed = 1

[simulation]
duration = "2h"
sample_interval = "5m"

[[node_groups]]
name = "node"
count = 1000
cpu = "16"
memory = "64Gi"

[[trace]]
name = "trace"
format = "$1"
tasks = "$(realpath "$2")"
start = "1h"
duration = "1h"
$extra

[scheduler]
kind = "kubernetes"
EOF
}

# The last RSS measured (KB), so that the 10 M line can show its ratio to the 1 M one.
last_kb=0
measure() { # label command...: "max RSS MB, wall s" of the command, and the ratio to the one before
  local log before=$last_kb
  log=$(mktemp)
  if ! /usr/bin/time -v "${@:2}" >/dev/null 2>"$log"; then
    printf "%-44s failed: %s\n" "$1" "$(grep -m1 -i error "$log")"
    rm -f "$log"
    return
  fi
  local kb wall
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
  rm -f "$log"
  last_kb=$kb
  local ratio=""
  [[ $1 == *" 10M" && $before -gt 0 ]] && ratio=$(printf "   %.2f× the 1 M" "$(echo "$kb / $before" | bc -l)")
  printf "%-44s %10.1f MB   %s%s\n" "$1" "$(echo "$kb / 1024" | bc -l)" "$wall" "$ratio"
}

printf "%-44s %13s   %s\n" "binary / command / trace" "max RSS" "wall (m:ss)"
for bin in "${bins[@]}"; do
  name=$(basename "$bin")
  for format in native google-2011; do
    # For each command, 1 M then 10 M rows: the 10 M line gives its ratio to the 1 M one.
    for command in run inspect; do
    for rows in 1000000 10000000; do
      case $format in
        native) tasks=$dir/native-$rows.csv ;;
        google-2011) tasks=$dir/google-$rows ;;
      esac
      if [[ $command == run ]]; then
        scenario $format "$tasks" >"$dir/scenario-$format-$rows.toml"
        measure "$name run $format $((rows / 1000000))M" "$bin" run "$dir/scenario-$format-$rows.toml" --out "$dir/out" --no-chart
      else
        measure "$name inspect $format $((rows / 1000000))M" "$bin" trace inspect "$tasks" --format $format
      fi
    done
    done
  done
done
