#!/usr/bin/env python3
"""Times torch.nn.LSTM / GRU / RNN (tanh) on the CPU with the shapes of
bench/bench_recurrent.cpp, for the "vs PyTorch" ratio in docs/performance.md.

Same method as the C++ harness: fixed thread count (torch.set_num_threads),
one warm-up call, rounds of calls lasting >= 50 ms, the median per call over
>= 5 rounds. Inference as Loom runs it: eval(), torch.inference_mode().

Usage:  /work/venv/bin/python bench/torch_recurrent.py --threads 2 [--rounds 7] [--json FILE]
Cases:  lstm, gru, rnn on T=128 N=32 512->512, T=128 N=1, and a decoder step
        (T=1 N=32 with h0/c0 given).
"""
import argparse
import json
import os
import platform
import statistics
import time

import torch


def flops(gates, t, n, i, h):
    return 2.0 * gates * h * (i + h) * t * n


def time_call(fn, rounds, min_round_s):
    fn()  # warm-up: first-call costs
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_round_s:
        fn()
        reps += 1
    per_call = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        per_call.append((time.perf_counter() - t0) / reps)
    return statistics.median(per_call), min(per_call), max(per_call)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--min-round-ms", type=float, default=50.0)
    ap.add_argument("--peak-gflops-per-core", type=float, default=115.0)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    if args.rounds < 5:
        ap.error("--rounds must be at least 5")

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    peak = args.peak_gflops_per_core * args.threads
    print(f"== torch {torch.__version__} CPU recurrent layers, fp32 ==")
    print(f"threads: {torch.get_num_threads()} (interop {torch.get_num_interop_threads()}); "
          f"mkldnn enabled: {torch.backends.mkldnn.is_available()}; machine: {platform.processor() or platform.machine()}")
    print(f"peak: {peak:.1f} GFLOP/s ({args.peak_gflops_per_core} per core x {args.threads}); "
          f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    shapes = [(128, 32, 512, 512, False), (128, 1, 512, 512, False), (1, 32, 512, 512, True)]
    results = []
    for cell in ("lstm", "gru", "rnn"):
        for t, n, i, h, step in shapes:
            if cell == "lstm":
                m, g = torch.nn.LSTM(i, h), 4
            elif cell == "gru":
                m, g = torch.nn.GRU(i, h), 3
            else:
                m, g = torch.nn.RNN(i, h, nonlinearity="tanh"), 1
            m.eval()
            x = torch.randn(t, n, i)
            hx = None
            if step:
                h0 = torch.randn(1, n, h) * 0.5
                hx = (h0, torch.randn(1, n, h) * 0.5) if cell == "lstm" else h0

            def call():
                with torch.inference_mode():
                    m(x, hx)

            med, lo, hi = time_call(call, args.rounds, args.min_round_ms / 1e3)
            gf = flops(g, t, n, i, h) / med * 1e-9
            name = f"{cell}{' (tanh)' if cell == 'rnn' else ''} T={t} N={n} {i}->{h}" + (
                " (step, states in/out)" if step else "")
            print(f"  {name:<42} {med * 1e3:9.3f} ms/call  spread {(hi - lo) / med * 100:5.1f}%  "
                  f"{gf:7.1f} GFLOP/s  {gf / peak:.3f} of peak")
            results.append({"name": name, "median_s": med, "min_s": lo, "max_s": hi, "gflops": gf,
                            "fraction_of_peak": gf / peak})
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        tmp = args.json + f".tmp.{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump({"torch": torch.__version__, "threads": args.threads, "cases": results}, f, indent=2)
        os.replace(tmp, args.json)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
