#!/usr/bin/env bash
# The GPU checks of issue 12, in one run on a machine with a CUDA device:
#
#     bash benchmarks/gpu_session.sh [OUT_DIR]
#     GPU_STAGES="calibrate" CALIBRATE_LIMIT=420 bash benchmarks/gpu_session.sh [OUT_DIR]
#
# 1. the CUDA tests (tests/test_cuda.py and the CLI's --device cuda test);
# 2. a default grade of the reference with --device cuda (report.json kept);
# 3. the calibration of the reference and every correct variant on CUDA,
#    20 seeds, several grades at once (calibration-*/samples.csv);
# 4. the GPU line of benchmarks/run.py (bench-cuda.json).
#
# Each stage has a time limit and the later ones run whatever the earlier ones
# gave; session.log holds everything printed. The limits fit a lease of about
# 10 minutes: on an H200 the calibration reached seed 17 of 20 in its 240 s
# (all 20 seeds take about 290 s there).
# GPU_STAGES (default all four) picks stages and CALIBRATE_LIMIT (default 240)
# gives the calibration alone a longer lease, enough for all 20 seeds.
# Packages the machine lacks may come as wheels in .whl/ (installed into
# /tmp/site). OUT_DIR defaults to $OUT, else gpu-out/.
set -u
out=${1:-${OUT:-gpu-out}}
mkdir -p "$out"
log="$out/session.log"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        && export PYTHONPATH=/tmp/site:$PYTHONPATH
fi

stages=${GPU_STAGES:-tests grade calibrate bench}
stage() {  # stage NAME SECONDS COMMAND...: run, time and log one stage, if GPU_STAGES names it
    local name=$1 limit=$2 started=$SECONDS
    shift 2
    [[ " $stages " == *" $name "* ]] || return 0
    echo "=== $name (limit ${limit} s)" | tee -a "$log"
    timeout "$limit" "$@" >>"$log" 2>&1
    echo "=== $name: exit $? after $((SECONDS - started)) s" | tee -a "$log"
}

{
    nvidia-smi -L
    python3 -c "import torch, einops, sys; print(sys.version.split()[0], torch.__version__, torch.version.cuda, \
torch.cuda.is_available(), torch.cuda.get_device_name(0), 'einops', einops.__version__)"
    nproc
    command -v bwrap unshare || true
} >>"$log" 2>&1

stage tests 120 python3 -m pytest -p no:cacheprovider -o addopts= -q -rA --timeout 110 \
    tests/test_cuda.py "tests/test_cli.py::test_device_cuda_grades_on_the_gpu_or_is_refused_clearly"

stage grade 60 python3 -m grader grade reference --device cuda --out /tmp/gpu-report -q
cp /tmp/gpu-report/report.json "$out/report-cuda.json" 2>/dev/null || true

# Three calibrations side by side, three submissions each: a grade's scoring runs in its parent's
# threads, so one parent for all would queue them behind one interpreter lock.
calibrate_shard() {  # calibrate_shard N SUBMISSION...
    local shard="$out/calibration-$1"
    shift
    python3 -m grader calibrate "$@" --seeds 20 --device cuda --jobs 4 --out "$shard" >"$shard.log" 2>&1
    local code=$?
    rm -f "$shard/summary.md"  # summarised again from the samples; the log holds it too
    return $code
}
calibrate_all() {
    calibrate_shard 1 reference tests/fixtures/correct/batched-reshape tests/fixtures/correct/colab-export.py &
    calibrate_shard 2 tests/fixtures/correct/functional-style tests/fixtures/correct/helper-modules \
        tests/fixtures/correct/layers-in-a-loop &
    calibrate_shard 3 tests/fixtures/correct/notebook.ipynb tests/fixtures/correct/xavier-init \
        tests/fixtures/correct/zipped.zip &
    wait
    cat "$out"/calibration-*.log
    rm -f "$out"/calibration-*.log
}
export -f calibrate_shard calibrate_all
export out
stage calibrate "${CALIBRATE_LIMIT:-240}" bash -c calibrate_all

stage bench 120 python3 benchmarks/run.py --cuda-only --quick --repeats 2 --json "$out/bench-cuda.json"
tail -n 12 "$log"
