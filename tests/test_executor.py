"""The worker pool is a concurrent.futures.Executor that keeps its guarantees (set up once
per worker, a time limit held by killing, a crash failing one job), and a batch runs on
any other Executor too."""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest
from builders import spec_file, template

from expectmatrix.batch.runner import run_batch
from expectmatrix.errors import RenderError, WorkerFailed
from expectmatrix.render.pipeline import RenderOptions
from expectmatrix.render.workers import ProcessExecutor

_setups = 0


def count_setup() -> None:
    global _setups
    _setups += 1


def where(item: str) -> tuple[str, int, int]:
    """In a worker: the item, the worker's process id and how often it was set up."""
    if item == "crash":
        os._exit(70)  # as a segfault or the OOM killer would end it
    return item, os.getpid(), _setups


def test_the_pool_is_an_executor_whose_workers_are_set_up_once():
    with ProcessExecutor(2, count_setup, timeout=30) as executor:
        assert isinstance(executor, cf.Executor)
        futures = [executor.submit(where, str(i)) for i in range(12)]
        # the standard library's own waiting takes its futures
        finished = list(cf.as_completed(futures, timeout=120))
        assert len(finished) == 12 and cf.wait(futures).not_done == set()
        results = [f.result() for f in futures]
        assert list(executor.map(str.upper, ["a", "b"])) == ["A", "B"]
    assert [r[0] for r in results] == [str(i) for i in range(12)]
    pids = {r[1] for r in results}
    assert 1 <= len(pids) <= 2 and pids.isdisjoint({os.getpid()})
    assert {r[2] for r in results} == {1}  # each worker set itself up once, for every job
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(where, "late")


def test_a_crashed_worker_fails_its_own_job_and_the_pool_goes_on():
    """The standard library's process pool breaks whole on one crash (BrokenProcessPool);
    this one fails the job whose worker died and starts another worker."""
    with ProcessExecutor(2, count_setup, timeout=30) as executor:
        before = [executor.submit(where, "a"), executor.submit(where, "b")]
        crashed = executor.submit(where, "crash")
        after = [executor.submit(where, str(i)) for i in range(4)]
        error = crashed.exception(timeout=120)
        assert isinstance(error, WorkerFailed) and "crashed" in str(error)
        assert [f.result(timeout=120)[0] for f in before + after] == ["a", "b", "0", "1", "2", "3"]
        assert executor.submit(where, "later").result(timeout=120)[0] == "later"
        assert executor.broken is None and len(executor.workers) == 2


def _compare_outputs(one: Path, other: Path) -> None:
    names = sorted(p.name for p in one.iterdir())
    assert names == sorted(p.name for p in other.iterdir())
    for name in names:
        if name != "manifest.json":
            assert (one / name).read_bytes() == (other / name).read_bytes(), name
    assert _manifest(one) == _manifest(other)


def _manifest(out: Path) -> dict:
    data = json.loads((out / "manifest.json").read_text())
    for timing in ("wall_seconds", "documents_per_second"):
        data["summary"].pop(timing)
    return data


def _inputs(tmp_path: Path) -> Path:
    inp = tmp_path / "in"
    inp.mkdir()
    for deal in ("A-1", "B-1", "C-1"):
        spec_file(inp, f"{deal}.json", id=deal)
    (inp / "bad.yaml").write_text("deal:\n  id: x\n  titel: y\n")
    return inp


def test_a_batch_on_the_standard_librarys_process_pool_is_the_same(tmp_path):
    inp = _inputs(tmp_path)
    ours = run_batch([inp], tmp_path / "ours", ("pdf", "docx"), jobs=2)
    # Its processes forked from the server ours are forked from, which has imported the
    # writers (spawned, each would import them again): a process pool all the same.
    pool = cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver"))
    with pool:
        other = run_batch([inp], tmp_path / "pool", ("pdf", "docx"), executor=pool)
        # the executor is the caller's: still open after the batch
        assert pool.submit(len, "abc").result(timeout=60) == 3
    assert other.count("ok") == ours.count("ok") == 3
    assert other.count("failed") == ours.count("failed") == 1
    _compare_outputs(tmp_path / "pool", tmp_path / "ours")


def test_on_threads_the_time_limit_still_stops_a_template_that_loops(tmp_path):
    """A thread cannot take a signal: the limit reaches the job's thread all the same."""
    inp = tmp_path / "in"
    inp.mkdir()
    for deal in ("A-1", "SLOW-1", "B-1"):
        spec_file(inp, f"{deal}.json", id=deal)
    folder = template(tmp_path / "tpl", "{% if view.deal_id == 'SLOW-1' %}{% for i in "
                      "range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
                      "{% endif %}{{ super() }}")
    options = RenderOptions(formats=("pdf",), template_dirs=(folder,), timeout=2)
    started = time.monotonic()
    with cf.ThreadPoolExecutor(2) as threads:
        result = run_batch([inp], tmp_path / "out", options=options, executor=threads)
    assert time.monotonic() - started < 60
    records = {r.deal_id: r for r in result.records}
    assert records["SLOW-1"].status == "failed"
    assert "rendering took longer than 2 s" in (records["SLOW-1"].error or "")
    assert records["A-1"].status == records["B-1"].status == "ok"
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == ["A-1-v1.pdf", "B-1-v1.pdf"]


def test_workers_of_another_version_are_refused_before_anything_is_rendered(tmp_path,
                                                                            monkeypatch):
    from expectmatrix.batch import runner

    monkeypatch.setattr(runner, "__version__", "0.0.1")
    inp = _inputs(tmp_path)
    with cf.ThreadPoolExecutor(1) as threads, pytest.raises(RenderError) as refused:
        run_batch([inp], tmp_path / "out", ("docx",), executor=threads)
    assert "this machine 0.0.1" in str(refused.value)
    assert "install the same version" in str(refused.value)
    assert list((tmp_path / "out").glob("*.docx")) == []
