"""Speed and memory of expectmatrix, as ratios measured in one run.

    python benchmarks/bench.py            # everything (a few minutes)
    python benchmarks/bench.py --quick    # fewer repetitions, a 400/40 memory pair
    python benchmarks/bench.py --only status   # one part (with --quick: 2,000 specs)
    python benchmarks/bench.py --only validate # validate against python -c pass, 45 rounds

The machine may be shared and noisy, so every figure is a ratio of two timings taken
side by side in this run, never an absolute limit. Targets:

  validate of one spec             <= 15x `python -c pass`, never imports WeasyPrint
  (c) batch steady state per PDF   <= 1.6x (b), the layout floor
  jobs 2 throughput                >= 1.8x jobs 1
  DOCX per document                <= 1/5 of (a)
  peak memory, 2000 specs          <= 1.5x that of 200 specs
  largest process, DOCX, 2000 specs <= 1.2x that of 200 specs (workers do not grow)
  batch process, CSV rows x10       <= 1.2x (a CRM export is streamed, not held)
  report of 10,000 specs            <= 1.5x validate of the same specs
  report's memory, 10,000 specs     <= 1.2x that of 1,000 specs (flat)
  status of 10,000 specs, journals  <= 1.5x validate of the same specs
  serve: validation answer, 15x15   <= 20 ms at the 95th percentile, in-process
  serve: preview of an edition      <= 1.3x `render` of the same spec, warm process
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LARGE = ROOT / "samples" / "large-hospital.yaml"
PY = sys.executable


def best_of(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def run(args: list[str]) -> None:
    result = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{result.stderr[-2000:]}")


# What `validate` cannot go below on this stack: the libraries it needs, each imported and
# used once (pydantic's first model pulls in importlib.metadata, annotated_types, hashlib).
FLOOR = ("import click, yaml\n"
         "from pydantic import BaseModel\n"
         "class M(BaseModel):\n    x: int = 1\n")
FLOOR_PARSE = FLOOR + f"yaml.compose(open({str(LARGE)!r}).read(), Loader=yaml.CSafeLoader)\n"


def validate_ratio(reps: int) -> None:
    script = Path(PY).with_name("expectmatrix")  # the command users type, where installed
    cli = [str(script)] if script.exists() else [PY, "-m", "expectmatrix"]
    commands = {"pass": [PY, "-c", "pass"], "validate": [*cli, "validate", str(LARGE)],
                "floor": [PY, "-c", FLOOR], "floor+parse": [PY, "-c", FLOOR_PARSE]}
    best = {name: float("inf") for name in commands}
    for _ in range(reps):  # interleaved, so all see the same machine load
        for name, args in commands.items():
            best[name] = min(best[name], best_of(1, lambda args=args: run(args)))
    base = best["pass"]
    traced = subprocess.run([PY, "-X", "importtime", "-m", "expectmatrix", "validate", str(LARGE)],
                            capture_output=True, text=True).stderr
    imported = any(line.split("|")[-1].strip().startswith("weasyprint")
                   for line in traced.splitlines() if "|" in line)
    print(f"validate: {best['validate'] * 1000:.0f} ms, python -c pass: {base * 1000:.0f} ms, "
          f"ratio {best['validate'] / base:.1f}x (target <= 15x); imports WeasyPrint: {imported}")
    print(f"  floor, libraries alone (click, PyYAML, pydantic and one model): "
          f"{best['floor'] / base:.1f}x; with libyaml composing the spec: "
          f"{best['floor+parse'] / base:.1f}x")


def naive_html() -> str:
    """Our own HTML for the 15x15 sample, styled with the system's DejaVu Sans."""
    from expectmatrix.render.html import HtmlRenderer
    from expectmatrix.render.view import build_view
    from expectmatrix.resources import builtin_templates
    from expectmatrix.spec.loading import load

    view = build_view(load(LARGE).spec)
    css = (builtin_templates() / "matrix.css").read_text()
    css = "\n".join(line for line in css.splitlines() if not line.startswith("@font-face"))
    css = css.replace('"Matrix Sans"', '"DejaVu Sans"')
    return HtmlRenderer().html(view).replace("</head>", f"<style>{css}</style></head>", 1)


def make_specs(folder: Path, n: int) -> None:
    from ruamel.yaml import YAML

    data = YAML(typ="safe", pure=True).load(LARGE.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        d = copy.deepcopy(data)
        d["deal"]["id"] = f"BENCH-{i:05}"
        d["deal"]["effective"] = str(d["deal"]["effective"])
        for a in d.get("approvals", []):
            a["date"] = str(a["date"])
        (folder / f"s{i:05}.json").write_text(json.dumps(d, default=str))


def batch_time(folder: Path, out: Path, jobs: int, fmt: str = "pdf") -> float:
    t = time.perf_counter()
    run([PY, "-m", "expectmatrix", "batch", str(folder), "-o", str(out), "-f", fmt,
         "--jobs", str(jobs)])
    return time.perf_counter() - t


def steady_state(tmp: Path, small: int, big: int, jobs: int, fmt: str = "pdf") -> float:
    """Seconds per extra document: (T(big) - T(small)) / (big - small); start-up cancels."""
    a, b = tmp / f"s{small}", tmp / f"s{big}"
    if not a.exists():
        make_specs(a, small)
    if not b.exists():
        make_specs(b, big)
    ta = batch_time(a, tmp / f"o-{small}-{jobs}-{fmt}", jobs, fmt)
    tb = batch_time(b, tmp / f"o-{big}-{jobs}-{fmt}", jobs, fmt)
    return (tb - ta) / (big - small)


def peak_rss_mb(folder: Path, out: Path, fmt: str = "pdf") -> float:
    """Largest resident set of the batch process or any of its workers, in MB."""
    code = ("import resource, subprocess, sys\n"
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out_text = subprocess.run([PY, "-c", code, PY, "-m", "expectmatrix", "batch", str(folder),
                               "-o", str(out), "-f", fmt, "--jobs", "2"],
                              capture_output=True, text=True, check=True).stdout
    return int(out_text.strip()) / 1024


def parent_rss_mb(inputs: list[str], out: Path) -> float:
    """Peak resident set of the batch's own process (workers not counted), in MB."""
    code = ("import resource, sys\n"
            "from expectmatrix.batch.runner import run_batch\n"
            "run_batch(sys.argv[2:], sys.argv[1], ('docx',), jobs=2)\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out_text = subprocess.run([PY, "-c", code, str(out), *inputs], capture_output=True,
                              text=True, check=True).stdout
    return int(out_text.strip().splitlines()[-1]) / 1024


def make_csv(path: Path, rows: int) -> None:
    """A CRM export whose rows each fail at once (a cell past the header), so that the
    parent's bookkeeping of the stream is measured, not rendering."""
    with path.open("w", encoding="utf-8") as f:
        f.write("deal.id,deal.title\n")
        for i in range(rows):
            f.write(f"ROW-{i},Deal {i},stray cell\n")


def make_portfolio(folder: Path, n: int) -> list[str]:
    """``n`` specs from the portfolio samples, each its own deal and one of n/3 customers."""
    samples = sorted((ROOT / "samples" / "portfolio").glob("*.yaml"))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        text = samples[i % len(samples)].read_text(encoding="utf-8")
        text = text.replace("  id: PF-", f"  id: N{i:05}-", 1)
        text = text.replace('customer: {name: "', f'customer: {{name: "C{i % max(1, n // 3)} ', 1)
        path = folder / f"p{i:05}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def report_figures(tmp: Path, n_small: int, n_big: int) -> None:
    big = make_portfolio(tmp / f"pf{n_big}", n_big)
    make_portfolio(tmp / f"pf{n_small}", n_small)
    t = time.perf_counter()
    subprocess.run([PY, "-m", "expectmatrix", "validate", *big], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    validate = time.perf_counter() - t
    t = time.perf_counter()
    run([PY, "-m", "expectmatrix", "report", str(tmp / f"pf{n_big}"), "-o",
         str(tmp / "pf.json")])
    report = time.perf_counter() - t
    print(f"report of {n_big:,} specs: {report:.1f} s, validate of them {validate:.1f} s, "
          f"ratio {report / validate:.2f} (target <= 1.5)")
    code = ("import resource, subprocess, sys\n"
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    peaks = []
    for n in (n_small, n_big):
        out = subprocess.run([PY, "-c", code, PY, "-m", "expectmatrix", "report",
                              str(tmp / f"pf{n}"), "-o", str(tmp / f"pf{n}.json")],
                             capture_output=True, text=True, check=True).stdout
        peaks.append(int(out.strip()) / 1024)
    print(f"report's memory: {n_small:,} specs {peaks[0]:.0f} MB, {n_big:,} specs "
          f"{peaks[1]:.0f} MB, ratio {peaks[1] / peaks[0]:.2f} (target <= 1.2)")


def make_tracked(folder: Path, n: int) -> list[str]:
    """``n`` copies of the after-signing sample, each its own deal, with a journal of
    three events bound to it (written as `record` writes them, without a process each)."""
    import datetime as dt

    from expectmatrix.checks import check_loaded
    from expectmatrix.spec.canonical import fingerprint
    from expectmatrix.spec.loading import load
    from expectmatrix.track.journal import Binding, Event, digests, event_text, header_text

    text = (ROOT / "samples" / "after-signing" / "deal.yaml").read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    when = dt.datetime(2026, 4, 8, tzinfo=dt.UTC)
    events = (("V1", "met", dt.date(2026, 3, 5)), ("C1", "missed", dt.date(2026, 3, 2)),
              ("V6", "waived", dt.date(2026, 3, 30)))
    paths = []
    for i in range(n):
        path = folder / f"t{i:05}.yaml"
        path.write_text(text.replace("  id: NWK-2026-003", f"  id: T{i:05}", 1), encoding="utf-8")
        spec = check_loaded(load(path)).spec
        assert spec is not None
        binding = Binding(fingerprint=fingerprint(spec), version=spec.deal.version,
                          expectations=digests(spec))
        journal = header_text(path.name, spec.deal.id, binding) + "".join(
            event_text(Event(id=e, event=kind, date=day, by="Jonas Weber",  # type: ignore[arg-type]
                             recorded=when)) for e, kind, day in events)
        path.with_name(f"{path.stem}.track.yaml").write_text(journal, encoding="utf-8")
        paths.append(str(path))
    return paths


def status_figures(tmp: Path, n: int) -> None:
    """`status` of n tracked deals against `validate` of the same specs: the journals,
    due dates, business days and the table are all the extra `status` may cost. Timed
    both by the clock and by the processor time of each command (the children's user and
    system time), which other work on a shared machine does not inflate."""
    import resource

    paths = make_tracked(tmp / f"tracked{n}", n)
    cli = [PY, "-m", "expectmatrix"]
    commands = {"validate": [*cli, "validate", *paths],
                "status": [*cli, "status", str(tmp / f"tracked{n}"), "--today", "2026-04-08"]}
    wall = dict.fromkeys(commands, float("inf"))
    cpu = dict.fromkeys(commands, float("inf"))
    for _ in range(2):  # interleaved, best of two: both see the same machine load
        for name, args in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            run(args)
            wall[name] = min(wall[name], time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name] = min(cpu[name], after.ru_utime - before.ru_utime
                            + after.ru_stime - before.ru_stime)
    print(f"status of {n:,} tracked specs: {wall['status']:.1f} s, validate of them "
          f"{wall['validate']:.1f} s, ratio {wall['status'] / wall['validate']:.2f}; "
          f"processor time {cpu['status']:.1f} s / {cpu['validate']:.1f} s, ratio "
          f"{cpu['status'] / cpu['validate']:.2f} (target <= 1.5)")


def serve_figures(n: int) -> None:
    """The web app in-process (no start-up): the validation answer the editor gets as a
    rep types, a form edit's answer, and a preview against render of the same spec."""
    import re
    import statistics
    import warnings

    warnings.simplefilter("ignore")  # the test client's notice about its HTTP library
    from starlette.testclient import TestClient

    from expectmatrix.serve.app import create_app

    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / LARGE.name).write_bytes(LARGE.read_bytes())
        client = TestClient(create_app(folder, frozenset({"testserver"})))
        page = client.get(f"/deals/{LARGE.name}").text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        headers = {"X-CSRF-Token": csrf}
        body = LARGE.read_bytes()
        text = body.decode()

        def timed(fn) -> list[float]:  # type: ignore[no-untyped-def]
            fn()
            out = []
            for _ in range(n):
                t = time.perf_counter()
                fn()
                out.append(time.perf_counter() - t)
            return out

        def p95(times: list[float]) -> float:
            return statistics.quantiles(times, n=20)[-1] * 1000

        validate = timed(lambda: client.post("/api/validate", content=body))
        state = {"text": text, "n": 0}

        def type_a_letter() -> None:  # each edit is of the text the last one returned
            state["n"] += 1
            edit = json.dumps({"text": state["text"], "edit": {
                "op": "set", "path": "deal.title", "value": f"A new title {state['n']}"}})
            state["text"] = client.post(f"/api/edit?name={LARGE.name}", content=edit,
                                        headers=headers).json()["text"]

        typing = timed(type_a_letter)
        print(f"serve, 15x15 sample, {n} requests each:")
        print(f"  validation answer: p95 {p95(validate):.1f} ms (target <= 20 ms), "
              f"median {statistics.median(validate) * 1000:.1f} ms")
        print(f"  form edit answer (the text's round trip and the same checks): "
              f"p95 {p95(typing):.1f} ms")

        preview_body = json.dumps({"text": text, "audience": "counterparty"})

        def preview() -> None:
            url = client.post(f"/api/preview?name={LARGE.name}", content=preview_body,
                              headers=headers).json()["url"]
            client.get(url)

        from expectmatrix.checks import check_loaded
        from expectmatrix.render.pipeline import RenderOptions, render_documents
        from expectmatrix.spec.loading import load_bytes

        options = RenderOptions(formats=("pdf",))
        renderers = options.renderers()

        def render() -> None:
            render_documents(check_loaded(load_bytes(body, LARGE.name)), options, renderers)

        reps = max(3, n // 20)
        shown, rendered = best_of(reps, preview), best_of(reps, render)
        print(f"  preview {shown * 1000:.0f} ms, render (PDF, warm) {rendered * 1000:.0f} ms: "
              f"{shown / rendered:.2f}x (target <= 1.3)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["status", "validate"], help="Measure this part alone.")
    opts = parser.parse_args()
    reps = 5 if opts.quick else 15
    if opts.only == "status":
        with tempfile.TemporaryDirectory() as d:
            status_figures(Path(d), 2_000 if opts.quick else 10_000)
        return
    validate_ratio(reps if opts.only != "validate" else 3 * reps)
    if opts.only == "validate":
        return
    serve_figures(40 if opts.quick else 200)

    import weasyprint

    html = naive_html()
    weasyprint.HTML(string=html).write_pdf()  # warm caches for both measures
    a = best_of(reps // 2 + 1, lambda: weasyprint.HTML(string=html).write_pdf())
    b = best_of(reps // 2 + 1, lambda: weasyprint.HTML(string=html).render())
    pages = len(weasyprint.HTML(string=html).render().pages)

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        small, big = (10, 40) if opts.quick else (20, 100)
        c = steady_state(tmp, small, big, jobs=1)
        c2 = steady_state(tmp, small, big, jobs=2)
        docx = steady_state(tmp, small, big, jobs=1, fmt="docx")
        print(f"15x15 sample, {pages} pages:")
        print(f"  (a) naive write_pdf, DejaVu:   {a * 1000:6.1f} ms")
        print(f"  (b) layout floor, render():     {b * 1000:6.1f} ms")
        print(f"  (c) batch --jobs 1 per PDF:     {c * 1000:6.1f} ms")
        print(f"  (c)/(b) = {c / b:.2f}  (target <= 1.6)   (a)/(c) = {a / c:.2f}")
        print(f"  jobs 2 throughput / jobs 1 = {c / c2:.2f}  (target >= 1.8)")
        print(f"  DOCX per document: {docx * 1000:.1f} ms = {docx / a:.2f} of (a) "
              "(target <= 0.2)")

        n_small, n_big = (40, 400) if opts.quick else (200, 2000)
        make_specs(tmp / f"m{n_small}", n_small)
        make_specs(tmp / f"m{n_big}", n_big)
        m_small = peak_rss_mb(tmp / f"m{n_small}", tmp / "mo-small")
        m_big = peak_rss_mb(tmp / f"m{n_big}", tmp / "mo-big")
        print(f"peak memory: {n_small} specs {m_small:.0f} MB, {n_big} specs {m_big:.0f} MB, "
              f"ratio {m_big / m_small:.2f} (target <= 1.5)")
        d_small = peak_rss_mb(tmp / f"m{n_small}", tmp / "mo-small-docx", "docx")
        d_big = peak_rss_mb(tmp / f"m{n_big}", tmp / "mo-big-docx", "docx")
        print(f"largest process, DOCX batch --jobs 2: {n_small} specs {d_small:.0f} MB, "
              f"{n_big} specs {d_big:.0f} MB, ratio {d_big / d_small:.2f} (target <= 1.2)")

        r_small, r_big = (3_000, 30_000) if opts.quick else (10_000, 100_000)
        make_csv(tmp / "small.csv", r_small)
        make_csv(tmp / "big.csv", r_big)
        p_small = parent_rss_mb([str(tmp / "small.csv")], tmp / "csv-small")
        p_big = parent_rss_mb([str(tmp / "big.csv")], tmp / "csv-big")
        print(f"batch process, CSV export streamed: {r_small:,} rows {p_small:.0f} MB, "
              f"{r_big:,} rows {p_big:.0f} MB, ratio {p_big / p_small:.2f} (target <= 1.2)")
        report_figures(tmp, *((200, 2_000) if opts.quick else (1_000, 10_000)))
        status_figures(tmp, 2_000 if opts.quick else 10_000)


if __name__ == "__main__":
    main()
