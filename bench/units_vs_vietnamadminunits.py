#!/usr/bin/env python3
"""Legacy-address conversion: `motcua units convert` against the PyPI
package `vietnamadminunits` (its `convert_address`), on the same cases, in
one run.

Input: the cases written by `motcua bench units-cases` (JSON lines with
`kind`, `input`, `expected_status`, `expected_commune`,
`expected_candidates`).

* vietnamadminunits converts a seeded random sample of each kind
  (`--sample`, it is slow), in this process, in its own loop: the import and
  the loading of its data are outside the timing. For split communes with a
  street it asks a network geocoder; the socket timeout is 2 s and every
  exception counts as a miss.
* motcua converts ALL cases through the CLI (`motcua units convert --input
  FILE > file`), wall clock including the process start and the parsing of
  its data set; `--repeat` runs each (median reported), with all cores and
  with one (`RAYON_NUM_THREADS=1`). It also converts the sample alone, and
  each kind's cases alone.

Correct means: `converted` to the expected new commune; or, for an old
commune split among several new ones, `ambiguous` listing exactly the
expected candidates. vietnamadminunits cannot answer `ambiguous` (it picks
one new commune), so it can never be right on a split commune: the report
also counts how often its pick was at least one of the candidates.

Writes a table to stdout and everything to `--out` (bench/out/units.json).
"""

import argparse
import collections
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata

socket.setdefaulttimeout(2)


def load_cases(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def kinds_in_order(cases):
    seen = []
    for c in cases:
        if c["kind"] not in seen:
            seen.append(c["kind"])
    return seen


def is_correct(case, status, commune, candidates):
    if case["expected_status"] == "converted":
        return status == "converted" and commune == case["expected_commune"]
    return status == "ambiguous" and sorted(candidates) == sorted(case["expected_candidates"])


# ---------------------------------------------------------------------------
# vietnamadminunits


def run_vietnamadminunits(sample_by_kind, offline):
    """Converts each kind's sample with `convert_address`, timing its loop.

    As shipped (`offline=False`), a split commune written with a street makes
    it ask a network geocoder (counted in `geocoder_calls`). With
    `offline=True` that lookup answers "unknown" at once, so the package
    falls back to its default new commune: the time is its own computation
    only, the most favourable figure for it."""
    t0 = time.perf_counter()
    import vietnamadminunits.converter.converter_2025 as c25  # noqa: PLC0415
    from vietnamadminunits import convert_address  # noqa: PLC0415

    import_s = time.perf_counter() - t0
    if not hasattr(c25, "_bench_original_get_geo_location"):
        c25._bench_original_get_geo_location = c25.get_geo_location
    original = c25._bench_original_get_geo_location
    geocoder_calls = collections.Counter()
    current = [None]

    def geocode(address):
        geocoder_calls[current[0]] += 1
        return None if offline else original(address)

    c25.get_geo_location = geocode
    # both runs start from an empty regular-expression cache (the package
    # compiles its patterns per call and leans on that cache)
    re.purge()
    # one warm-up call, outside the timing
    try:
        convert_address("Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội")
    except Exception:  # noqa: BLE001
        pass
    results = {}
    for kind, cases in sample_by_kind.items():
        current[0] = kind
        answers = []
        errors = 0
        start = time.perf_counter()
        for c in cases:
            try:
                unit = convert_address(c["input"])
                answers.append((unit.ward_code, unit.province_code))
            except Exception:  # noqa: BLE001
                errors += 1
                answers.append((None, None))
        seconds = time.perf_counter() - start
        correct = 0
        split = 0
        split_picked_candidate = 0
        misses = []
        for c, (ward, province) in zip(cases, answers):
            status = "converted" if ward else "not_found"
            if is_correct(c, status, ward, []):
                correct += 1
            elif len(misses) < 20:
                misses.append({"input": c["input"], "expected": c, "got": [ward, province]})
            if c["expected_status"] == "ambiguous":
                split += 1
                if ward in c["expected_candidates"]:
                    split_picked_candidate += 1
        results[kind] = {
            "n": len(cases),
            "correct": correct,
            "accuracy": correct / len(cases) if cases else None,
            "exceptions": errors,
            "geocoder_calls": geocoder_calls[kind],
            "split_communes": split,
            "split_picked_a_candidate": split_picked_candidate,
            "seconds": seconds,
            "per_second": len(cases) / seconds if seconds > 0 else None,
            "misses": misses,
        }
    c25.get_geo_location = original
    return import_s, results


# ---------------------------------------------------------------------------
# motcua


def write_inputs(path, cases):
    with open(path, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(c["input"].replace("\n", " ") + "\n")


def time_motcua(binary, input_path, output_path, repeat, threads):
    env = dict(os.environ)
    env.pop("RAYON_NUM_THREADS", None)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    seconds = []
    for _ in range(repeat):
        with open(output_path, "wb") as out:
            start = time.perf_counter()
            subprocess.run(
                [binary, "units", "convert", "--input", input_path],
                stdout=out,
                stderr=subprocess.DEVNULL,
                env=env,
                check=True,
            )
            seconds.append(time.perf_counter() - start)
    return seconds


def read_motcua_output(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            rows.append(
                (r["status"], r["commune_code"], [c["commune_code"] for c in r["candidates"]])
            )
    return rows


def score_motcua(cases, rows):
    assert len(cases) == len(rows), (len(cases), len(rows))
    by_kind = collections.defaultdict(lambda: [0, 0])
    misses = collections.defaultdict(list)
    for c, (status, commune, candidates) in zip(cases, rows):
        k = by_kind[c["kind"]]
        k[0] += 1
        if is_correct(c, status, commune, candidates):
            k[1] += 1
        else:
            misses[c["kind"]].append(
                {"input": c["input"], "expected": c, "got": [status, commune, candidates]}
            )
    return by_kind, misses


def timing(seconds, n):
    med = statistics.median(seconds)
    return {
        "runs_s": [round(s, 4) for s in seconds],
        "median_s": med,
        "per_second": n / med if med > 0 else None,
    }


# ---------------------------------------------------------------------------


def fmt_rate(x):
    if x is None:
        return "-"
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"


def pct(x):
    return "-" if x is None else f"{100 * x:.2f} %"


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": platform.platform(),
        "python": platform.python_version(),
    }


def load_average():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def peak_rss(binary, cases, lines, workdir):
    """Peak RSS of `motcua units convert` over `lines` lines (the cases
    repeated), output to /dev/null."""
    path = os.path.join(workdir, "big.txt")
    inputs = [c["input"].replace("\n", " ") for c in cases]
    with open(path, "w", encoding="utf-8") as f:
        written = 0
        while written < lines:
            take = inputs[: lines - written]
            f.write("\n".join(take) + "\n")
            written += len(take)
    size = os.path.getsize(path)
    gnu_time = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    start = time.perf_counter()
    if gnu_time:
        proc = subprocess.run(
            [gnu_time, "-v", binary, "units", "convert", "--input", path],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        rss_kb = next(
            int(line.split(":")[1])
            for line in proc.stderr.splitlines()
            if "Maximum resident set size" in line
        )
        how = "/usr/bin/time -v"
    else:
        import resource  # noqa: PLC0415

        subprocess.run(
            [binary, "units", "convert", "--input", path], stdout=subprocess.DEVNULL, check=True
        )
        seconds = time.perf_counter() - start
        rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        how = "getrusage(RUSAGE_CHILDREN)"
    os.remove(path)
    return {
        "lines": lines,
        "input_bytes": size,
        "peak_rss_kib": rss_kb,
        "seconds": seconds,
        "per_second": lines / seconds,
        "measured_with": how,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", required=True, help="JSON lines from `motcua bench units-cases`")
    ap.add_argument("--motcua", required=True, help="the motcua binary (release build)")
    ap.add_argument("--sample", type=int, default=1000, help="cases per kind for vietnamadminunits (0: all)")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--repeat", type=int, default=5, help="motcua runs per measurement (median)")
    ap.add_argument(
        "--all-repeat",
        type=int,
        default=10,
        help="motcua's overall timing converts every case this many times over (one file)",
    )
    ap.add_argument(
        "--kind-lines", type=int, default=0,
        help="lines per kind for motcua's per-kind timing: the kind's cases repeated (0: as many as all cases)",
    )
    ap.add_argument("--rss-lines", type=int, default=10_000_000, help="lines for the peak-RSS run (0: skip)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "out", "units.json"))
    args = ap.parse_args()

    cases = load_cases(args.cases)
    kinds = kinds_in_order(cases)
    by_kind = {k: [c for c in cases if c["kind"] == k] for k in kinds}
    rng = random.Random(args.seed)
    sample_by_kind = {
        k: (v if args.sample <= 0 or args.sample >= len(v) else rng.sample(v, args.sample))
        for k, v in by_kind.items()
    }
    sample = [c for k in kinds for c in sample_by_kind[k]]
    kind_lines = args.kind_lines or len(cases) * max(1, args.all_repeat)
    load_before = load_average()

    work = tempfile.mkdtemp(prefix="units-bench-")
    try:
        out_path = os.path.join(work, "out.jsonl")
        all_path = os.path.join(work, "all.txt")
        write_inputs(all_path, cases)
        sample_path = os.path.join(work, "sample.txt")
        write_inputs(sample_path, sample)
        empty_path = os.path.join(work, "empty.txt")
        write_inputs(empty_path, [])

        print(f"motcua: {len(cases)} cases, {args.repeat} runs each ...", file=sys.stderr)
        startup = timing(time_motcua(args.motcua, empty_path, out_path, args.repeat, None), 0)
        # accuracy: one run over every case
        time_motcua(args.motcua, all_path, out_path, 1, None)
        all_scores, misses = score_motcua(cases, read_motcua_output(out_path))
        # throughput: every case, repeated, so that the process start (the
        # parsing of the embedded data set) does not dominate
        all_lines = len(cases) * max(1, args.all_repeat)
        timed_path = os.path.join(work, "all-repeated.txt")
        write_inputs(timed_path, cases * max(1, args.all_repeat))
        all_single = timing(time_motcua(args.motcua, timed_path, out_path, args.repeat, 1), all_lines)
        all_multi = timing(time_motcua(args.motcua, timed_path, out_path, args.repeat, None), all_lines)
        sample_multi = timing(
            time_motcua(args.motcua, sample_path, out_path, args.repeat, None), len(sample)
        )
        sample_scores, _ = score_motcua(sample, read_motcua_output(out_path))
        kind_timing = {}
        for k in kinds:
            p = os.path.join(work, f"kind-{k}.txt")
            repeated = (by_kind[k] * (kind_lines // len(by_kind[k]) + 1))[:kind_lines]
            write_inputs(p, repeated)
            kind_timing[k] = {
                "lines": kind_lines,
                "single": timing(time_motcua(args.motcua, p, out_path, args.repeat, 1), kind_lines),
                "multi": timing(time_motcua(args.motcua, p, out_path, args.repeat, None), kind_lines),
            }
            os.remove(p)

        print(f"vietnamadminunits: {len(sample)} cases, as shipped ...", file=sys.stderr)
        vau_import_s, vau = run_vietnamadminunits(sample_by_kind, offline=False)
        print(f"vietnamadminunits: {len(sample)} cases, geocoder off ...", file=sys.stderr)
        _, vau_off = run_vietnamadminunits(sample_by_kind, offline=True)

        rss = None
        if args.rss_lines > 0:
            print(f"motcua peak RSS over {args.rss_lines} lines ...", file=sys.stderr)
            rss = peak_rss(args.motcua, cases, args.rss_lines, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = load_average()

    # ----- table
    def row(kind, n_cases, ok, n_sample, sample_ok, v, v_off, m_single, m_multi):
        return {
            "kind": kind,
            "cases": n_cases,
            "sample": n_sample,
            "motcua_accuracy": ok / n_cases,
            "motcua_accuracy_on_sample": sample_ok / n_sample,
            "vietnamadminunits_accuracy": v["correct"] / v["n"],
            "vietnamadminunits_accuracy_geocoder_off": v_off["correct"] / v_off["n"],
            "split_communes_in_sample": v["split"],
            "vietnamadminunits_split_picked_a_candidate": v["picked"],
            "vietnamadminunits_exceptions": v["exceptions"],
            "vietnamadminunits_geocoder_calls": v["geocoder_calls"],
            "motcua_per_second_1_thread": m_single,
            "motcua_per_second_all_cores": m_multi,
            "vietnamadminunits_per_second": v["n"] / v["seconds"],
            "vietnamadminunits_per_second_geocoder_off": v_off["n"] / v_off["seconds"],
            "ratio": m_multi / (v["n"] / v["seconds"]),
            "ratio_geocoder_off": m_multi / (v_off["n"] / v_off["seconds"]),
        }

    def vau_sum(results, kinds_):
        return {
            "n": sum(results[k]["n"] for k in kinds_),
            "correct": sum(results[k]["correct"] for k in kinds_),
            "seconds": sum(results[k]["seconds"] for k in kinds_),
            "split": sum(results[k]["split_communes"] for k in kinds_),
            "picked": sum(results[k]["split_picked_a_candidate"] for k in kinds_),
            "exceptions": sum(results[k]["exceptions"] for k in kinds_),
            "geocoder_calls": sum(results[k]["geocoder_calls"] for k in kinds_),
        }

    rows = []
    for k in kinds:
        rows.append(
            row(
                k, all_scores[k][0], all_scores[k][1], sample_scores[k][0], sample_scores[k][1],
                vau_sum(vau, [k]), vau_sum(vau_off, [k]),
                kind_timing[k]["single"]["per_second"], kind_timing[k]["multi"]["per_second"],
            )
        )
    rows.append(
        row(
            "all", len(cases), sum(s[1] for s in all_scores.values()),
            len(sample), sum(s[1] for s in sample_scores.values()),
            vau_sum(vau, kinds), vau_sum(vau_off, kinds),
            all_single["per_second"], all_multi["per_second"],
        )
    )

    head = (
        f"{'kind':<14} {'cases':>6} {'sample':>6} {'acc motcua':>11} {'acc vau':>9} "
        f"{'motcua 1 thr/s':>15} {'motcua all/s':>13} {'vau/s':>8} {'ratio':>7} "
        f"{'vau offline/s':>14} {'ratio':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['kind']:<14} {r['cases']:>6} {r['sample']:>6} {pct(r['motcua_accuracy']):>11} "
            f"{pct(r['vietnamadminunits_accuracy']):>9} {fmt_rate(r['motcua_per_second_1_thread']):>15} "
            f"{fmt_rate(r['motcua_per_second_all_cores']):>13} {fmt_rate(r['vietnamadminunits_per_second']):>8} "
            f"{r['ratio']:>6.0f}x {fmt_rate(r['vietnamadminunits_per_second_geocoder_off']):>14} "
            f"{r['ratio_geocoder_off']:>6.0f}x"
        )
    total = rows[-1]
    print()
    print(
        f"motcua: process start (empty input) {startup['median_s'] * 1000:.1f} ms median; "
        f"per-kind rates over {kind_lines:,} lines (the kind's cases repeated); "
        f"on the {len(sample):,}-case sample alone {fmt_rate(sample_multi['per_second'])}/s"
    )
    print(
        f"vietnamadminunits: import {vau_import_s * 1000:.0f} ms (not timed); "
        f"{total['split_communes_in_sample']} split communes in its sample, its pick was one of the "
        f"candidates for {total['vietnamadminunits_split_picked_a_candidate']}; "
        f"geocoder calls {total['vietnamadminunits_geocoder_calls']}, exceptions {total['vietnamadminunits_exceptions']}"
    )
    if rss:
        print(
            f"motcua peak RSS over {rss['lines']:,} lines ({rss['input_bytes'] / 1e6:.0f} MB): "
            f"{rss['peak_rss_kib'] / 1024:.1f} MiB, {rss['seconds']:.1f} s ({fmt_rate(rss['per_second'])}/s)"
        )
    print(f"load average before/after: {load_before} / {load_after}")
    failed = [r["kind"] for r in rows if r["motcua_accuracy"] < r["vietnamadminunits_accuracy"]]
    if failed:
        print(f"motcua is LESS accurate than vietnamadminunits on: {', '.join(failed)}")

    try:
        vau_version = metadata.version("vietnamadminunits")
    except metadata.PackageNotFoundError:
        vau_version = None
    motcua_version = subprocess.run(
        [args.motcua, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    report = {
        "machine": machine(),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "motcua": motcua_version,
        "vietnamadminunits": vau_version,
        "cases_file": args.cases,
        "seed": args.seed,
        "repeat": args.repeat,
        "method": {
            "motcua": "CLI `motcua units convert --input FILE > FILE`, wall clock including process start; "
            "median of the runs; all cores, and RAYON_NUM_THREADS=1",
            "motcua_per_kind": f"the kind's cases repeated to {kind_lines} lines",
            "vietnamadminunits": "in process, its own loop over convert_address, import excluded; "
            "socket timeout 2 s; exceptions count as misses",
            "vietnamadminunits_geocoder_off": "the same, with its geocoder lookup answering 'unknown' at once",
            "correct": "converted to the expected commune, or ambiguous with exactly the expected candidates",
        },
        "table": rows,
        "motcua_timing": {
            "startup": startup,
            "all_cases_1_thread": all_single,
            "all_cases_all_cores": all_multi,
            "sample_all_cores": sample_multi,
            "per_kind": kind_timing,
        },
        "vietnamadminunits_import_s": vau_import_s,
        "peak_rss": rss,
        "motcua_misses": {k: v[:50] for k, v in misses.items()},
        "vietnamadminunits_misses": {k: v["misses"] for k, v in vau.items()},
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"written: {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
