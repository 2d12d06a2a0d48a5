#!/usr/bin/env bash
# The GPU measurements of docs/scheduling.md "GPUs", in one run on a machine with an NVIDIA GPU. Needs only
# a release runner built with `--features wgpu` ($RUNNER, default ./runner), a Vulkan loader
# (libvulkan1) with the NVIDIA driver's ICD, and the data sets in $RUNNER_DATA (bible,
# squad-dev, canterbury). The log and the figures go to OUT_DIR as they come; runs and
# artifacts to $WORK (default OUT_DIR/work).
#   scripts/gpu_check.sh OUT_DIR
set -uo pipefail
OUT="${1:-gpu-check}"
RUNNER="${RUNNER:-./runner}"
WORK="${WORK:-$OUT/work}"
mkdir -p "$OUT" "$WORK"
exec > >(tee "$OUT/gpu_check.log") 2>&1
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
step() { echo; echo "== $* ($(date -u +%T))"; }

step "machine"
nvidia-smi --query-gpu=index,pci.bus_id,name,memory.total,driver_version --format=csv
nproc
step "runner devices"
"$RUNNER" devices
# The slot the scheduler would give: cuda:0 when wgpu matched the card by PCI bus id.
DEV=cuda:0
"$RUNNER" devices | grep -q "^cuda:0 *wgpu" || DEV=wgpu
echo "device for the checks: $DEV"

step "training throughput: GPU against the CPU (flex, all cores)"
timeout 200 "$RUNNER" devices --bench --device "$DEV" --big-batch "${BIG_BATCH:-1024}" \
  --steps "${BENCH_STEPS:-30}" --out "$OUT/devices_bench.json"

step "lm_codec pretraining on the GPU through the scheduler (experiments/lm_codec_gpu.toml)"
export RUNNER_ARTIFACTS="$WORK/artifacts"
START=$(date +%s)
timeout 240 "$RUNNER" launch experiments/lm_codec_gpu.toml --runs-root "$WORK/runs"
echo "launch took $(( $(date +%s) - START )) s"
cat "$WORK"/runs/lm_codec_gpu/runs/*/metrics.json 2>/dev/null | head -60
MODEL=$(ls -d "$WORK"/artifacts/lm-* 2>/dev/null | grep -v '\.lock$' | head -1)
echo "model: $MODEL"
cat "$MODEL/artifact.json" 2>/dev/null | head -30

step "the same file coded and decoded in two processes on the GPU"
IN="$RUNNER_DATA/canterbury/alice29.txt"
RUNNER_DEVICE="$DEV" timeout 45 "$RUNNER" lm-codec compress "$IN" --model "$MODEL" -o "$WORK/alice29.rlmc"
RUNNER_DEVICE="$DEV" timeout 45 "$RUNNER" lm-codec decompress "$WORK/alice29.rlmc" --model "$MODEL" -o "$WORK/alice29.back"
cmp "$IN" "$WORK/alice29.back" && echo "round trip across processes: identical"
echo "a CPU decoder:"
timeout 20 "$RUNNER" lm-codec decompress "$WORK/alice29.rlmc" --model "$MODEL" -o "$WORK/alice29.cpu" || true
rm -f "$WORK/alice29.back" "$WORK/alice29.cpu"
step "done"
