#!/usr/bin/env python3
"""Times torch.nn.MultiheadAttention on the CPU for the comparison in
docs/performance.md (Attention): self-attention, batch_first, fp32, eval mode
under torch.inference_mode(), torch.set_num_threads(--threads).

Variants:
  torch mha             need_weights=False (torch's fused inference path)
  torch mha + weights   need_weights=True, average_attn_weights=False

Method as bench_harness.hpp: one warm-up call, calibration so one round lasts
>= 50 ms, then --rounds timed rounds, variants interleaved, median per call.

With --loom BIN (the bench_attention executable), the script alternates a
torch measurement and a run of BIN (--json) --repeat times, A B A B ..., and
prints the per-repetition and median ratios of Loom's B (no weights) and D
(per-head weights) variants over torch's matching variant.

  /work/venv/bin/python bench/torch_attention.py --threads 2
  /work/venv/bin/python bench/torch_attention.py --threads 2 --loom build/bin/bench_attention --repeat 3
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch


def flops(n, l, e, h):
    proj = 2.0 * n * l * e * 3 * e + 2.0 * n * l * e * e
    attn = 2.0 * 2.0 * n * h * l * l * (e // h)
    return proj + attn


def time_variants(variants, rounds, min_round_s):
    for fn in variants.values():
        fn()
    reps = {}
    for name, fn in variants.items():
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < min_round_s:
            fn()
            n += 1
        reps[name] = n
    samples = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            t0 = time.perf_counter()
            for _ in range(reps[name]):
                fn()
            samples[name].append((time.perf_counter() - t0) / reps[name])
    return {name: statistics.median(s) for name, s in samples.items()}, samples


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--min-round-ms", type=float, default=50.0)
    ap.add_argument("--peak-gflops", type=float, default=0.0, help="for the fraction of peak (0: not printed)")
    ap.add_argument("--loom", help="bench_attention executable to alternate with")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    n, l, e, h = args.batch, args.seq, args.dim, args.heads
    mha = torch.nn.MultiheadAttention(e, h, batch_first=True).eval()
    x = torch.randn(n, l, e)
    gflop = flops(n, l, e, h) * 1e-9

    def no_weights():
        with torch.inference_mode():
            return mha(x, x, x, need_weights=False)

    def with_weights():
        with torch.inference_mode():
            return mha(x, x, x, need_weights=True, average_attn_weights=False)

    variants = {"torch mha": no_weights, "torch mha + weights": with_weights}
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"MKL-DNN {torch.backends.mkldnn.is_available()}, "
          f"self-attention N={n} L={l} E={e} H={h} fp32 ({gflop:.3f} GFLOP per call)")

    def report(medians, samples):
        for name, t in medians.items():
            s = samples[name]
            spread = (max(s) - min(s)) / t * 100
            extra = f", {gflop / t / args.peak_gflops:.3f} of peak" if args.peak_gflops else ""
            print(f"  {name:22s} {t * 1e3:9.3f} ms  spread {spread:5.1f}%  {gflop / t:7.1f} GFLOP/s{extra}")

    if not args.loom:
        report(*time_variants(variants, args.rounds, args.min_round_ms / 1e3))
        return 0

    ratios_b, ratios_d = [], []
    for rep in range(args.repeat):
        medians, samples = time_variants(variants, args.rounds, args.min_round_ms / 1e3)
        print(f"repetition {rep + 1}: torch")
        report(medians, samples)
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "loom.json")
            cmd = [args.loom, "--threads", str(args.threads), "--rounds", str(args.rounds), "--batch", str(n), "--seq",
                   str(l), "--dim", str(e), "--heads", str(h), "--json", out]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            with open(out) as f:
                loom = {v["name"]: v["median_s"] for v in json.load(f)["cases"][0]["variants"]}
        rb = medians["torch mha"] / loom["B loom mha"]
        rd = medians["torch mha + weights"] / loom["D loom + weights"]
        ratios_b.append(rb)
        ratios_d.append(rd)
        print(f"repetition {rep + 1}: loom B {loom['B loom mha'] * 1e3:.3f} ms, D {loom['D loom + weights'] * 1e3:.3f} "
              f"ms, direct oneDNN {loom['A direct oneDNN'] * 1e3:.3f} ms; loom/torch throughput: no weights "
              f"{rb:.3f} x, with weights {rd:.3f} x")
    print(f"median over {args.repeat} repetitions: loom vs torch {statistics.median(ratios_b):.3f} x (no weights), "
          f"{statistics.median(ratios_d):.3f} x (per-head weights)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
