"""The ``reforge`` command: one Typer app with a group per capability."""

from __future__ import annotations

import importlib
import sys

import typer

from reforge.cli.common import err_console

app = typer.Typer(name="reforge", help="Reforge: decision support for industrial foundation reconstruction.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

# (module, group name or None for top-level commands registered by the module)
_GROUPS: list[tuple[str, str | None]] = [
    ("reforge.cli.data", None),         # status, sql, import, export, demo
    ("reforge.cli.chain", "chain"),
    ("reforge.cli.firms", "firms"),
    ("reforge.cli.policy", "policy"),
    ("reforge.cli.credit", "credit"),
    ("reforge.cli.sectors", "sectors"),
    ("reforge.cli.indicators", "indicators"),
    ("reforge.cli.serve", None),        # serve, users, tokens
]

for _mod, _name in _GROUPS:
    _m = importlib.import_module(_mod)
    if _name is None:
        _m.register(app)
    else:
        app.add_typer(_m.app, name=_name)

_DEBUG = False


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="show tracebacks")) -> None:
    global _DEBUG
    _DEBUG = debug


def main() -> None:
    """Entry point: run the app; user errors are one line and exit code 2."""
    from reforge.engine.base import EngineError
    from reforge.errors import ReforgeError
    try:
        rv = app(standalone_mode=False)
        if isinstance(rv, int) and rv != 0:
            sys.exit(rv)
    except (ReforgeError, EngineError, ValueError, FileNotFoundError) as e:
        if _DEBUG or "--debug" in sys.argv:
            raise
        err_console.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as e:  # click usage errors and the like
        import click
        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(2)
        if _DEBUG or "--debug" in sys.argv:
            raise
        err_console.print(f"[red]error:[/red] {type(e).__name__}: {e} (run with --debug for details)",
                          highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
