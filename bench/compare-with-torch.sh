#!/usr/bin/env bash
# Side-by-side training throughput: PAL (pal bench) against the PyTorch yardstick
# ../shared/bench/palb_reference_torch.py, alternating runs in one sitting so both see the same
# machine state. Needs Debian's PyTorch: apt-get install -y python3-torch libopenblas0-pthread
# Usage: bench/compare-with-torch.sh [rounds]   (run from the repository root after mvn package)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
yardstick=../shared/bench/palb_reference_torch.py
jar=pal-cli/target/pal.jar
[ -f "$jar" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "PyTorch missing: apt-get install -y python3-torch libopenblas0-pthread" >&2; exit 2; }
out=$(mktemp)
for r in $(seq "$rounds"); do
  for t in 1 2; do
    echo "torch S $t $(OMP_NUM_THREADS=$t /usr/bin/python3 $yardstick --D 384 --d 16 --k 4 --pairs 51200 --threads $t | sed 's/.*"pairs_per_s": \([0-9]*\).*/\1/')" >> "$out"
    echo "pal S $t $(OMP_NUM_THREADS=$t java -jar $jar bench --workload S --threads $t | grep pairsPerSecond | tr -dc 0-9)" >> "$out"
    echo "torch L $t $(OMP_NUM_THREADS=$t /usr/bin/python3 $yardstick --D 1024 --d 512 --k 2 --pairs 10240 --threads $t | sed 's/.*"pairs_per_s": \([0-9]*\).*/\1/')" >> "$out"
    echo "pal L $t $(OMP_NUM_THREADS=$t java -jar $jar bench --workload L --threads $t | grep pairsPerSecond | tr -dc 0-9)" >> "$out"
  done
done
python3 - "$out" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    who, w, t, v = line.split()
    runs[(who, w, int(t))].append(int(v))
print("| workload | threads | PyTorch pairs/s (runs) | PAL pairs/s (runs) | PAL / PyTorch (medians) |")
print("| --- | ---: | --- | --- | ---: |")
for w in "SL":
    for t in (1, 2):
        a, b = runs[("torch", w, t)], runs[("pal", w, t)]
        print(f"| {w} | {t} | {statistics.median(a):,.0f} ({', '.join(f'{x:,}' for x in a)}) | {statistics.median(b):,.0f} ({', '.join(f'{x:,}' for x in b)}) | {statistics.median(b)/statistics.median(a):.2f} |")
    bt = max(statistics.median(runs[("torch", w, t)]) for t in (1, 2))
    bp = max(statistics.median(runs[("pal", w, t)]) for t in (1, 2))
    print(f"| {w} | best of each | {bt:,.0f} | {bp:,.0f} | {bp/bt:.2f} |")
PY
rm -f "$out"
