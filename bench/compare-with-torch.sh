#!/usr/bin/env bash
# Side-by-side training throughput: PAL (pal bench) against the PyTorch yardstick
# ../shared/bench/palb_reference_torch.py, alternating in one sitting so both see the same machine
# state. Needs a Python with PyTorch, e.g. Debian's: apt-get install -y python3-torch libopenblas0-pthread
# Usage: [PYTHON=/usr/bin/python3] bench/compare-with-torch.sh [rounds] [threads...]   (from the repository root after mvn package)
#   rounds: default 3; threads: default "1 2"; PYTHON: the interpreter that has torch (default: python3 on PATH)
#   PAL_BENCH_FLAGS: more flags for `pal bench` (e.g. --profile); PAL_BENCH_SAVE: a directory that keeps each of its JSON outputs
# PAL runs through pal-cli/bin/pal (the JVM options users get: the heap on transparent huge pages where
# the kernel offers them; `pal bench` prints the setting as heapHugePages).
# Every figure is a median. PAL: each round is one `pal bench --scaling <threads>` per workload, i.e.
# a warm-up of each thread count until the figure stops rising, then 5 timed runs of >= 2 s per
# count, the counts alternating run by run (each count's median is that round's figure). PyTorch: each round is one
# run of the yardstick timing 10 epochs of 51,200 pairs (S) or 2 of 10,240 (L), a few seconds each.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shift || true
threads=${*:-1 2}
yardstick=../shared/bench/palb_reference_torch.py
jar=pal-cli/target/pal.jar
[ -f "$jar" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
python=${PYTHON:-python3}
command -v "$python" >/dev/null || { echo "PYTHON=$python: no such interpreter; set PYTHON to a Python that has torch, e.g. PYTHON=/usr/bin/python3" >&2; exit 2; }
"$python" -c 'import torch' 2>/dev/null || { echo "PYTHON=$python ($(command -v "$python")) cannot import torch: set PYTHON to a Python that has it (e.g. PYTHON=/usr/bin/python3 with Debian's python3-torch), or install it: apt-get install -y python3-torch libopenblas0-pthread" >&2; exit 2; }
out=$(mktemp)
torch_rate() { sed 's/.*"pairs_per_s": \([0-9]*\).*/\1/'; }
# `pal bench --scaling 1,2` prints one entry per thread count: its median and its timed runs
pal_rates() { "$python" -c 'import json,sys; r=json.load(sys.stdin)
for c in r.get("scaling", [r]): print("pal", sys.argv[1], c["threads"], c["median"], ",".join(map(str, c["runPairsPerSecond"])))' "$1"; }
csv=$(echo $threads | tr ' ' ',')
# passes `pal bench`'s JSON on, keeping a copy as $PAL_BENCH_SAVE/<workload>-<round>.json when set
keep() { if [ -n "${PAL_BENCH_SAVE:-}" ]; then mkdir -p "$PAL_BENCH_SAVE" && tee "$PAL_BENCH_SAVE/$1-$2.json"; else cat; fi; }
for r in $(seq "$rounds"); do
  for t in $threads; do
    echo "torch S $t $(OMP_NUM_THREADS=$t "$python" $yardstick --D 384 --d 16 --k 4 --pairs 51200 --epochs 10 --threads $t | torch_rate) -" >> "$out"
  done
  # one process per workload: every thread count warmed up, their timed runs alternating
  OMP_NUM_THREADS=1 pal-cli/bin/pal bench --workload S --scaling "$csv" ${PAL_BENCH_FLAGS:-} | keep S "$r" | pal_rates S >> "$out"
  for t in $threads; do
    echo "torch L $t $(OMP_NUM_THREADS=$t "$python" $yardstick --D 1024 --d 512 --k 2 --pairs 10240 --epochs 2 --threads $t | torch_rate) -" >> "$out"
  done
  OMP_NUM_THREADS=1 pal-cli/bin/pal bench --workload L --scaling "$csv" ${PAL_BENCH_FLAGS:-} | keep L "$r" | pal_rates L >> "$out"
done
echo "PyTorch: $("$python" -c 'import torch; print(torch.__version__)') ($(command -v "$python"))"
"$python" - "$out" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    who, w, t, v, _ = line.split()
    runs[(who, w, int(t))].append(int(v))
threads = sorted({t for (_, _, t) in runs})
med = lambda xs: statistics.median(xs)
print("| workload | threads | PyTorch pairs/s: median (rounds) | PAL pairs/s: median (rounds' medians) | PAL / PyTorch | PAL / PAL at 1 thread |")
print("| --- | ---: | --- | --- | ---: | ---: |")
for w in "SL":
    for t in threads:
        a, b = runs[("torch", w, t)], runs[("pal", w, t)]
        base = med(runs[("pal", w, threads[0])])
        print(f"| {w} | {t} | {med(a):,.0f} ({', '.join(f'{x:,}' for x in a)}) | {med(b):,.0f} ({', '.join(f'{x:,}' for x in b)}) "
              f"| {med(b)/med(a):.2f} | {med(b)/base:.2f} |")
    bt = max(med(runs[("torch", w, t)]) for t in threads)
    bp = max(med(runs[("pal", w, t)]) for t in threads)
    print(f"| {w} | best of each | {bt:,.0f} | {bp:,.0f} | {bp/bt:.2f} | |")
PY
rm -f "$out"
