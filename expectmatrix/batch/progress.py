"""Batch progress for people: a bar with rate and ETA on a terminal, one line per item
otherwise (logs of unattended runs), and the closing summary."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

import click

from expectmatrix.batch.runner import Record

_COLORS = {"ok": "green", "skipped": "cyan", "failed": "red", "conflict": "red"}


class BatchProgress:
    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty() and not quiet
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> BatchProgress:
        if self.tty:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn("rendering"), BarColumn(), MofNCompleteColumn(),
                                 TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
                                 TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=False)
            self._bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def total(self, n: int) -> None:
        if self._bar is not None:
            self._task = self._bar.add_task("batch", total=n, rate="")
        elif not self.quiet:
            click.echo(f"{n} input(s)", err=True)

    def item(self, record: Record, done: int) -> None:
        if self._bar is not None and self._task is not None:
            task = self._bar.tasks[0]
            speed = task.finished_speed or task.speed
            self._bar.update(self._task, completed=done,
                             rate=f"{speed:.1f} items/s" if speed else "")
        elif not self.quiet:
            # What went wrong is said once, in the list that closes the run.
            detail = record.deal_id or ""
            click.echo(click.style(f"{record.status:8}", fg=_COLORS.get(record.status))
                       + f" {record.source}" + (f"  {detail}" if detail else ""), err=True)

    def interrupted(self) -> None:
        message = "interrupted: the documents in progress finish, nothing new starts"
        if self._bar is not None:
            self._bar.console.print(message)
        else:
            click.echo(message, err=True)

    @staticmethod
    def summary_line(summary: dict[str, Any]) -> str:
        text = (f"{summary['ok']} ok, {summary['failed']} failed, {summary['conflict']} "
                f"conflict, {summary['skipped']} skipped in {summary['wall_seconds']:.1f} s "
                f"({summary['documents']} documents, {summary['documents_per_second']:.1f}/s)")
        if summary["interrupted"]:
            text += "; interrupted"
        if summary["stopped_early"]:
            text += "; stopped at the first failure"
        return text
