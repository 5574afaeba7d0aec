#!/usr/bin/env python3
"""Plots bench_long_attention's results (--results FILE) as an SVG: time per
call and the forward pass's peak memory against the sequence length, log-log,
one line per variant. Plain SVG written by hand: no plotting library needed.

Usage: python3 bench/plot_long_attention.py OUT.svg RESULTS.json [MORE.json ...]
Rows of several files (say, timing runs per n and a --memory-only run) are
merged by (n, variant).
"""
import json
import math
import sys

SERIES = [  # (variant key, label, colour)
    ("full", "full attention (blocked)", "#d62728"),
    ("full_unblocked", "full attention, n x n scores (standard)", "#ff9896"),
    ("linformer_k128", "Linformer k=128", "#1f77b4"),
    ("linformer_k256", "Linformer k=256", "#17becf"),
    ("longformer", "Longformer w=512", "#2ca02c"),
    ("longformer_g1", "Longformer w=512, 1 global", "#98df8a"),
]
W, H = 460, 340          # one panel
ML, MR, MT, MB = 64, 16, 36, 48


def log_ticks(lo, hi):
    ticks = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo <= v <= hi * 1.0001:
                ticks.append(v)
        e += 1
    return ticks


def fmt(v):
    return f"{v:g}" if v < 1e4 else f"{v:.0e}"


def panel(x0, title, ylabel, points, ns, missing):
    """points: {key: [(n, y)]}; missing: {key: [n]} (did not run)."""
    ys = [y for pts in points.values() for _, y in pts if y > 0] or [1.0, 10.0]  # no data: an empty panel
    ylo, yhi = min(ys) / 1.5, max(ys) * 1.5
    ylo = 10 ** math.floor(math.log10(ylo))
    xlo, xhi = min(ns) / 1.25, max(ns) * 1.25
    pw, ph = W - ML - MR, H - MT - MB

    def px(n):
        return x0 + ML + (math.log2(n) - math.log2(xlo)) / (math.log2(xhi) - math.log2(xlo)) * pw

    def py(y):
        return MT + ph - (math.log10(y) - math.log10(ylo)) / (math.log10(yhi) - math.log10(ylo)) * ph

    out = [f'<text x="{x0 + ML + pw / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">{title}</text>',
           f'<rect x="{x0 + ML}" y="{MT}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>']
    for t in log_ticks(ylo, yhi):
        y = py(t)
        out.append(f'<line x1="{x0 + ML}" y1="{y:.1f}" x2="{x0 + ML + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 + ML - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{fmt(t)}</text>')
    for n in ns:
        x = px(n)
        out.append(f'<line x1="{x:.1f}" y1="{MT}" x2="{x:.1f}" y2="{MT + ph}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{MT + ph + 16}" text-anchor="middle" font-size="11">{n}</text>')
    out.append(f'<text x="{x0 + ML + pw / 2}" y="{H - 8}" text-anchor="middle" font-size="12">sequence length n</text>')
    out.append(f'<text x="{x0 + 14}" y="{MT + ph / 2}" text-anchor="middle" font-size="12" '
               f'transform="rotate(-90 {x0 + 14} {MT + ph / 2})">{ylabel}</text>')
    for key, _, colour in SERIES:
        pts = sorted(points.get(key, []))
        if pts:
            path = " ".join(f"{px(n):.1f},{py(y):.1f}" for n, y in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for n, y in pts:
                out.append(f'<circle cx="{px(n):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>')
        for n in missing.get(key, []):  # did not run: a cross at the top edge
            x, y = px(n), MT + 8
            out.append(f'<path d="M{x - 5:.1f},{y - 5} L{x + 5:.1f},{y + 5} M{x - 5:.1f},{y + 5} L{x + 5:.1f},{y - 5}" '
                       f'stroke="{colour}" stroke-width="2"/>')
    return out


def load_rows(paths):
    merged, first = {}, None
    for path in paths:
        with open(path) as f:
            res = json.load(f)
        first = first or res
        for r in res["rows"]:
            row = merged.setdefault((r["n"], r["variant"]), {})
            for k, v in r.items():
                if k in ("timed", "memory_ok") and row.get(k):
                    continue  # a figure from another file stays
                row[k] = v
    return first, list(merged.values())


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    res, rows = load_rows(sys.argv[2:])
    ns = sorted({r["n"] for r in rows})
    times, mem, missing = {}, {}, {}
    keys = {key for key, _, _ in SERIES}
    for r in rows:
        if r["variant"] not in keys:
            continue
        if r.get("timed"):
            times.setdefault(r["variant"], []).append((r["n"], r["median_s"] * 1e3))
        if r.get("memory_ok"):
            mem.setdefault(r["variant"], []).append((r["n"], max(r["rss_pass_mb"], 0.1)))
        elif "memory_message" in r:  # could not run: neither timed nor measured
            missing.setdefault(r["variant"], []).append(r["n"])
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H + 70}" '
           f'font-family="sans-serif" viewBox="0 0 {2 * W} {H + 70}">',
           f'<rect width="{2 * W}" height="{H + 70}" fill="white"/>']
    untimed = {k: [n for n in v if (n, k) not in {(t[0], key) for key, ts in times.items() for t in ts}]
               for k, v in missing.items()}
    svg += panel(0, "time per call", "ms (log)", times, ns, untimed)
    svg += panel(W, "peak memory of one forward pass", "MB (log)", mem, ns, missing)
    x, y = ML, H + 18
    for key, label, colour in SERIES:
        svg.append(f'<line x1="{x}" y1="{y}" x2="{x + 22}" y2="{y}" stroke="{colour}" stroke-width="3"/>')
        svg.append(f'<text x="{x + 28}" y="{y + 4}" font-size="12">{label}</text>')
        x += 290
        if x > 2 * W - 200:
            x, y = ML, y + 20
    caption = (f'{res.get("machine", "")}, {res.get("threads")} threads, {res.get("backend")} backend; '
               f'd {res.get("dim")}, {res.get("heads")} heads, batch 1, fp32. x = did not run (memory limit)')
    svg.append(f'<text x="{ML}" y="{H + 62}" font-size="11" fill="#555">{caption}</text>')
    svg.append("</svg>")
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
