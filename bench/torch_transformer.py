#!/usr/bin/env python3
"""Times torch.nn.TransformerEncoderLayer on the CPU for the comparison in
docs/performance.md (Transformer): batch_first, post-norm, relu, fp32, eval
mode under torch.inference_mode() (torch's fused "fast path" for inference),
torch.set_num_threads(--threads). Also the per-token cost of
nn.TransformerDecoderLayer recomputing the whole prefix (torch has no key/value
cache in its decoder layer).

Method as bench_harness.hpp: one warm-up call, calibration so one round lasts
>= 50 ms, then --rounds timed rounds, median per call.

With --loom BIN (the bench_transformer executable), the script alternates a
torch measurement and a run of BIN --skip-decoder (--json) --repeat times,
A B A B ..., and prints the per-repetition and median ratios of Loom's
variant B over torch.

  /work/venv/bin/python bench/torch_transformer.py --threads 2
  /work/venv/bin/python bench/torch_transformer.py --threads 2 --loom build/bin/bench_transformer --repeat 3
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


def flops(n, l, e, h, f):
    return 2.0 * n * l * e * 4 * e + 4.0 * n * l * e * f + 4.0 * n * h * l * l * (e // h)


def time_fn(fn, rounds, min_round_s):
    fn()
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_round_s:
        fn()
        reps += 1
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        samples.append((time.perf_counter() - t0) / reps)
    return statistics.median(samples), samples


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--ff", type=int, default=2048)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--min-round-ms", type=float, default=50.0)
    ap.add_argument("--decoder", action="store_true", help="also time the decoder layer per token (full prefix)")
    ap.add_argument("--loom", help="bench_transformer executable to alternate with")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    n, l, e, h, f = args.batch, args.seq, args.dim, args.heads, args.ff
    layer = torch.nn.TransformerEncoderLayer(e, h, f, dropout=0.0, batch_first=True).eval()
    x = torch.randn(n, l, e)
    gflop = flops(n, l, e, h, f) * 1e-9

    def encoder():
        with torch.inference_mode():
            return layer(x)

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"encoder layer N={n} L={l} E={e} H={h} FF={f} fp32 ({gflop:.3f} GFLOP per call)")

    def measure():
        t, s = time_fn(encoder, args.rounds, args.min_round_ms / 1e3)
        print(f"  torch encoder layer {t * 1e3:9.3f} ms  spread {(max(s) - min(s)) / t * 100:5.1f}%  "
              f"{gflop / t:7.1f} GFLOP/s")
        return t

    if args.decoder:
        dec = torch.nn.TransformerDecoderLayer(e, h, f, dropout=0.0, batch_first=True).eval()
        memory = torch.randn(1, 64, e)
        for t in [16, 32, 64, 128, 256, 512]:
            tgt = torch.randn(1, t + 1, e)
            mask = torch.nn.Transformer.generate_square_subsequent_mask(t + 1)

            def step():
                with torch.inference_mode():
                    return dec(tgt, memory, tgt_mask=mask, tgt_is_causal=True)

            med, _ = time_fn(step, args.rounds, args.min_round_ms / 1e3)
            print(f"  torch decoder layer, full prefix t+1 = {t + 1:4d}: {med * 1e6:9.1f} us per new token")

    if not args.loom:
        measure()
        return 0

    ratios = []
    for rep in range(args.repeat):
        print(f"repetition {rep + 1}: torch")
        t = measure()
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "loom.json")
            cmd = [args.loom, "--threads", str(args.threads), "--rounds", str(args.rounds), "--batch", str(n), "--seq",
                   str(l), "--dim", str(e), "--heads", str(h), "--ff", str(f), "--skip-decoder", "--json", out]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            with open(out) as fh:
                loom = {v["name"]: v["median_s"] for v in json.load(fh)["cases"][0]["variants"]}
        r = t / loom["B loom encoder layer"]
        ratios.append(r)
        print(f"repetition {rep + 1}: loom B {loom['B loom encoder layer'] * 1e3:.3f} ms, direct oneDNN "
              f"{loom['A direct oneDNN'] * 1e3:.3f} ms; loom/torch throughput {r:.3f} x")
    print(f"median over {args.repeat} repetitions: loom vs torch {statistics.median(ratios):.3f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
