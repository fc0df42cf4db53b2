"""``--out FILE`` on every command that prints a table or a JSON result.

The option is added to the commands when their group is loaded (``reforge.cli.main``), so a
command module does not declare it: a command that prints through
:func:`reforge.cli.common.print_frame`, :func:`~reforge.cli.common.print_rows` or
:func:`~reforge.cli.common.emit` writes to FILE instead of the terminal when it is given.
The format comes from the suffix: ``.xlsx`` (one sheet per table), ``.csv`` (UTF-8 with a
BOM, so Excel opens Chinese text), ``.json``. Text cells that look like spreadsheet
formulas are neutralised (``reforge.report.export``). The file is written only when the
command succeeds, through a temporary file moved into place, so a failed command leaves
no half-written file.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reforge.errors import InvalidInput

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".xlsx", ".csv", ".json")
# a JSON or CSV print to a terminal longer than this many rows gets a hint about --out
HINT_ROWS = 1000


class Sink:
    """The tables and JSON objects a command printed while ``--out`` was given."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kind = path.suffix.lower()
        self.frames: list[tuple[str | None, pd.DataFrame]] = []
        self.objects: list[Any] = []

    def add_frame(self, df: pd.DataFrame, title: str | None = None) -> None:
        self.frames.append((title, df))

    def add_object(self, obj: Any, frame: pd.DataFrame | None, title: str | None) -> None:
        """A whole JSON result; its table ``frame`` (if any) for xlsx and csv."""
        if self.kind == ".json":
            self.objects.append(obj)
        elif frame is not None:
            self.add_frame(frame, title)
        else:
            raise InvalidInput(f"this command's result is not a table; write it to a .json file, not {self.path.name}",
                               code="cli.out.not_table", params={"file": self.path.name})

    def write(self) -> None:
        """Write everything collected to the file (replacing it), or explain why nothing was."""
        from reforge.cli.common import dumps
        from reforge.report.export import write_csv_frame, write_xlsx
        if not self.frames and not self.objects:
            raise InvalidInput(f"this command printed no table to write to {self.path.name}",
                               code="cli.out.nothing", params={"file": self.path.name})
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        try:
            if self.kind == ".json":
                items = self.objects + [df.to_dict(orient="records") for _, df in self.frames]
                tmp.write_text(dumps(items[0] if len(items) == 1 else items) + "\n", encoding="utf-8")
            elif self.kind == ".csv":
                with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
                    for k, (_, df) in enumerate(self.frames):
                        if k:
                            fh.write("\n")
                        write_csv_frame(df, fh)
            else:
                sheets: dict[str, pd.DataFrame] = {}
                for k, (title, df) in enumerate(self.frames):
                    name = _sheet_name(title, k)
                    while name in sheets:
                        name = f"{name[:28]}_{k + 1}"
                    sheets[name] = df
                with tmp.open("wb") as fh:
                    write_xlsx(sheets, fh)
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)


_SINK: Sink | None = None


def current() -> Sink | None:
    """The sink of the running command, or None when it prints to the terminal."""
    return _SINK


def open_sink(path: Path) -> Sink:
    """Check FILE (suffix, folder) before the command runs and start collecting."""
    global _SINK
    if path.suffix.lower() not in SUFFIXES:
        raise InvalidInput(f"--out {path.name}: the file name must end in .xlsx, .csv or .json",
                           code="cli.out.suffix", params={"file": path.name, "suffixes": ", ".join(SUFFIXES)})
    if not path.parent.is_dir():
        raise InvalidInput(f"--out {path}: folder {path.parent} does not exist",
                           code="cli.out.no_folder", params={"folder": str(path.parent)})
    _SINK = Sink(path)
    return _SINK


def close_sink() -> None:
    global _SINK
    _SINK = None


def hint_if_long(n_rows: int) -> None:
    """Tell a terminal user who printed a long JSON/CSV that ``--out FILE`` exists (on stderr)."""
    if n_rows > HINT_ROWS and sys.stdout.isatty():
        from reforge.cli.common import err_console
        err_console.print(f"{n_rows:,} rows printed; --out FILE.xlsx|.csv|.json writes them to a file")


def add_out_option(cmd: Any) -> None:
    """Give a Click command ``--out FILE`` (unless it has its own ``--out``), wrapping its callback."""
    if cmd.callback is None or any("--out" in getattr(p, "opts", ()) for p in cmd.params):
        return
    fmt = next((p.name for p in cmd.params if "--format" in getattr(p, "opts", ())), None)
    cmd.params.append(_out_param())
    cmd.callback = _with_sink(cmd.callback, fmt)


@functools.cache
def _out_param() -> Any:
    """The ``--out`` parameter, built by Typer itself from a one-option command."""
    import typer

    def one(out: str | None = typer.Option(
            None, "--out", metavar="FILE",
            help="write the result to FILE instead of the terminal: .xlsx, .csv or .json")) -> None:
        """placeholder"""
    holder = typer.Typer(add_completion=False)
    holder.command()(one)
    return typer.main.get_command(holder).params[0]


def _with_sink(callback: Callable[..., Any], fmt: str | None) -> Callable[..., Any]:
    """``callback`` collecting its prints for ``--out``; a ``--format`` option (parameter
    ``fmt``) is set from the suffix: json for ``.json``, csv (the full table) otherwise."""
    @functools.wraps(callback)
    def run(*args: Any, out: str | None = None, **kwargs: Any) -> Any:
        if not out:
            return callback(*args, **kwargs)
        sink = open_sink(Path(out))
        if fmt is not None and fmt in kwargs:
            want = "json" if sink.kind == ".json" else "csv"
            cur = kwargs[fmt]
            kwargs[fmt] = type(cur)(want) if cur is not None and not isinstance(cur, str) else want
        try:
            rv = callback(*args, **kwargs)
            sink.write()
        finally:
            close_sink()
        from reforge.cli.common import err_console
        err_console.print(f"wrote {sink.path}", highlight=False)
        return rv
    return run


def add_out_options(group: Any) -> None:
    """:func:`add_out_option` on every command of a Click group, recursively."""
    for cmd in getattr(group, "commands", {}).values():
        if hasattr(cmd, "commands"):
            add_out_options(cmd)
        else:
            add_out_option(cmd)


def _sheet_name(title: str | None, k: int) -> str:
    bad = set('[]:*?/\\')
    name = "".join(ch for ch in (title or "") if ch not in bad).strip()[:31]
    return name or f"Sheet{k + 1}"
