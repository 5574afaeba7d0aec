#!/usr/bin/env python3
"""Times Hugging Face `tokenizers` encoding the test corpus on one thread, for
the "vs HF" ratio of bench/bench_tokenizers.cpp in docs/performance.md.

Cases: bench/tokenizer_cases.json (shared with bench_tokenizers). Each round
encodes every line of the case's text with special tokens through
encode_batch (one Python call; RAYON_NUM_THREADS=1 and
TOKENIZERS_PARALLELISM=false, set before the import, keep it on one thread).
Same method as the C++ harness: one warm-up call, rounds of calls lasting
>= 50 ms, the median per call over the rounds.

With --loom-bench BUILD/bin/bench_tokenizers the rounds interleave: one HF
round, then one run of bench_tokenizers for the case (whose own median over
5 rounds counts as one Loom round), and so on; the ratio is Loom's throughput
over HF's (medians), plus the median of the round-by-round ratios.

Usage:  RAYON_NUM_THREADS=1 /work/venv/bin/python bench/hf_tokenizers.py [--rounds 9]
            [--case NAME] [--loom-bench build/bin/bench_tokenizers] [--json FILE]
"""
import os

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import tokenizers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from tokenizers.implementations import BertWordPieceTokenizer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "tokenizers")


def make_hf(spec):
    if "tokenizer_json" in spec:
        return Tokenizer.from_file(os.path.join(FIXTURES, spec["tokenizer_json"]))
    if "bert_wordpiece_vocab" in spec:
        return BertWordPieceTokenizer(os.path.join(FIXTURES, spec["bert_wordpiece_vocab"]),
                                      lowercase=spec.get("lowercase", True))
    raise ValueError(f"unknown HF spec {spec}")


def hf_round(fn, reps):
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def loom_round(binary, name, min_round_ms):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([binary, "--case", name, "--rounds", "5", "--min-round-ms", str(min_round_ms), "--json",
                        f.name], check=True, stdout=subprocess.DEVNULL)
        result = json.load(open(f.name))
    for case in result["cases"]:
        if case["name"] == name:
            return case["variants"][0]["median_s"]
    raise RuntimeError(f"bench_tokenizers wrote no case {name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--min-round-ms", type=float, default=50.0)
    ap.add_argument("--case", default="")
    ap.add_argument("--loom-bench", default="")
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    if args.rounds < 5:
        ap.error("--rounds must be at least 5")
    cases = json.load(open(os.path.join(ROOT, "bench", "tokenizer_cases.json")))
    print(f"== HF tokenizers {tokenizers.__version__}: encode_batch of every corpus line, one thread ==")
    print(f"RAYON_NUM_THREADS={os.environ['RAYON_NUM_THREADS']} TOKENIZERS_PARALLELISM="
          f"{os.environ['TOKENIZERS_PARALLELISM']}; machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    out = []
    for case in cases:
        if args.case and case["name"] != args.case:
            continue
        with open(os.path.join(FIXTURES, case["text"]), encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        nbytes = sum(len(line.encode("utf-8")) for line in lines)
        tok = make_hf(case["hf"])
        tokens = sum(len(e.ids) for e in tok.encode_batch(lines))
        fn = lambda: tok.encode_batch(lines)  # noqa: E731
        fn()
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < args.min_round_ms * 1e-3:
            fn()
            reps += 1
        hf, loom = [], []
        for _ in range(args.rounds):
            hf.append(hf_round(fn, reps))
            if args.loom_bench:
                loom.append(loom_round(args.loom_bench, case["name"], args.min_round_ms))
        r = {"name": case["name"], "lines": len(lines), "bytes": nbytes, "tokens": tokens,
             "hf_median_s": statistics.median(hf), "hf_spread": (max(hf) - min(hf)) / statistics.median(hf)}
        r["hf_mb_s"] = nbytes / r["hf_median_s"] * 1e-6
        r["hf_tokens_s"] = tokens / r["hf_median_s"]
        line = (f"{case['name']}: {len(lines)} lines, {nbytes} bytes, {tokens} tokens; HF {r['hf_mb_s']:.2f} MB/s "
                f"{r['hf_tokens_s']:.0f} tokens/s (spread {r['hf_spread'] * 100:.0f}%)")
        if loom:
            r["loom_median_s"] = statistics.median(loom)
            r["loom_spread"] = (max(loom) - min(loom)) / r["loom_median_s"]
            r["loom_mb_s"] = nbytes / r["loom_median_s"] * 1e-6
            r["ratio_loom_over_hf"] = r["hf_median_s"] / r["loom_median_s"]
            r["paired_ratio"] = statistics.median(h / lo for h, lo in zip(hf, loom))
            line += (f"; Loom {r['loom_mb_s']:.2f} MB/s (spread {r['loom_spread'] * 100:.0f}%); "
                     f"Loom/HF {r['ratio_loom_over_hf']:.2f}x (paired {r['paired_ratio']:.2f}x)")
        print(line)
        out.append(r)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"tokenizers": tokenizers.__version__, "cases": out}, f, indent=1)


if __name__ == "__main__":
    main()
