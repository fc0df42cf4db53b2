"""`reforge backup` and `reforge restore`: a checked copy of the database file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from reforge.cli.common import DbOpt, Fmt, FormatOpt, console, dumps


def backup(out_dir: Annotated[Path, typer.Argument(help="new folder to write the backup into")],
           db: DbOpt = None, fmt: FormatOpt = Fmt.table) -> None:
    """Copy every table to OUT_DIR (Parquet) with row counts and checksums; safe while the server runs."""
    from reforge.backup import create_backup
    from reforge.engine import default_db_path
    man = create_backup(db or default_db_path(), out_dir)
    if fmt == Fmt.json:
        sys.stdout.write(dumps({"backup": str(out_dir), **man.to_dict()}) + "\n")
        return
    rows = sum(t.rows for t in man.tables.values())
    console.print(f"backup of {man.source} written to {out_dir}: {len(man.tables)} tables, {rows:,} rows")


def restore(backup_dir: Annotated[Path, typer.Argument(help="a folder written by `reforge backup`")],
            db: DbOpt = None,
            force: Annotated[bool, typer.Option("--force", help="replace an existing database file")] = False,
            fmt: FormatOpt = Fmt.table) -> None:
    """Rebuild the database from BACKUP_DIR; every table's rows and checksum must match, or nothing changes."""
    from reforge.backup import restore_backup
    from reforge.engine import default_db_path
    target = db or default_db_path()
    man = restore_backup(backup_dir, target, force=force)
    if fmt == Fmt.json:
        sys.stdout.write(dumps({"db": str(target), "restored_from": str(backup_dir),
                                "tables": {k: v.rows for k, v in man.tables.items()}}) + "\n")
        return
    console.print(f"restored {len(man.tables)} tables into {target} (all row counts and checksums match)")


def register(app: typer.Typer) -> None:
    """Add the top-level commands of this module to ``app``."""
    app.command("backup")(backup)
    app.command("restore")(restore)
