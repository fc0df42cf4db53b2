"""The ``reforge`` command: one Typer app with a group per capability.

Start-up is kept light: the top-level commands (``reforge.cli.data``, ``reforge.cli.serve``)
import only Typer and Rich at module level, and each capability group is imported only when
it is invoked. ``reforge --help`` lists the groups from :data:`_LAZY_GROUPS` without importing
them, so no pandas, pyarrow, DuckDB, scikit-learn, FastAPI… is loaded for it
(``tests/cli/test_startup.py`` checks this).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from reforge.cli.common import err_console
from reforge.cli.output import add_out_option, add_out_options

# capability groups, imported on first use: name -> (module holding a Typer ``app``, help line).
# The help line must equal the module's own Typer help (a test compares them).
_LAZY_GROUPS: dict[str, tuple[str, str]] = {
    "chain": ("reforge.cli.chain", "Industrial chains: blank/weak/choked items, disruption, single points of "
                                   "failure."),
    "firms": ("reforge.cli.firms", "Enterprise tiers: screening, near-misses, review, early warning, profiles, "
                                   "cohorts."),
    "policy": ("reforge.cli.policy", "Policy evaluation: staggered difference-in-differences "
                                     "(Callaway–Sant'Anna), programme evaluation reports."),
    "credit": ("reforge.cli.credit", "Enterprise credit evaluation: scorecard, grades AAA-C, reasons, "
                                     "validation."),
    "sectors": ("reforge.cli.sectors", "Input-output tables: multipliers, linkages, key sectors, extraction, "
                                       "imports."),
    "indicators": ("reforge.cli.indicators", "Macro indicators (manufacturing share of GDP, manufacturing "
                                             "investment growth)."),
    "appraise": ("reforge.cli.appraise", "Appraisal of new products: AHP weights with a weighted downstream "
                                         "voice, panels, rankings."),
    "match": ("reforge.cli.match", "Supply-demand matching: ranked domestic suppliers per demand, matching "
                                   "degree, text ranking."),
    "loop": ("reforge.cli.loop", "Closing the loop: chain leaders and their ecosystems, label history, tackling "
                                 "projects, the board."),
}

# modules registering top-level commands with ``register(app)`` (kept light: imported at start)
_TOP_LEVEL = ("reforge.cli.data",    # status, sql, import, export, demo
              "reforge.cli.serve",   # serve, demo-accounts, users, tokens
              "reforge.cli.backup")  # backup, restore


class _Unloaded(TyperGroup):
    """Placeholder of a capability group in the root's command table, used for listing only."""


def load_group(name: str) -> TyperGroup:
    """Import the group module ``name`` and build its Click group, as ``add_typer`` would."""
    mod, _ = _LAZY_GROUPS[name]
    holder = typer.Typer(add_completion=False)
    holder.add_typer(importlib.import_module(mod).app, name=name)
    holder.callback()(lambda: None)  # a holder with one group stays a group
    group = typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]
    add_out_options(group)  # --out FILE on every command (reforge.cli.output)
    return group


class LazyRootGroup(TyperGroup):
    """Root group whose capability groups are imported when resolved, not when listed."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        plain = {n: c for n, c in self.commands.items() if not isinstance(c, TyperGroup)}
        groups = {n: c for n, c in self.commands.items() if isinstance(c, TyperGroup)}
        lazy = {n: _Unloaded(name=n, help=h, no_args_is_help=True) for n, (_, h) in _LAZY_GROUPS.items()}
        for c in plain.values():
            add_out_option(c)
        self.commands = {**plain, **lazy, **groups}

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and isinstance(self.commands.get(args[0]), _Unloaded):
            self.commands[args[0]] = load_group(args[0])
        return super().resolve_command(ctx, args)


app = typer.Typer(name="reforge", help="Reforge: decision support for industrial foundation reconstruction.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, cls=LazyRootGroup,
                  # the root's help uses Click's plain formatter: Typer's Rich one imports Markdown and
                  # Pygments, a third of the start-up of `reforge --help`; the groups keep Rich help
                  rich_markup_mode=None, context_settings={"max_content_width": 120})

for _mod in _TOP_LEVEL:
    importlib.import_module(_mod).register(app)

_DEBUG = False


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="show tracebacks"),
          spark_master: str | None = typer.Option(
              None, "--spark-master", envvar="REFORGE_SPARK_MASTER",
              help="Spark master for --engine spark: local[N] (default local[2]), spark://HOST:PORT, yarn")) -> None:
    global _DEBUG
    _DEBUG = debug
    if spark_master:
        import os
        os.environ["REFORGE_SPARK_MASTER"] = spark_master  # read when the Spark session starts


def _error_text(e: Exception) -> str:
    """A user error in the command's language (``--lang`` or ``$REFORGE_LANG``): a coded error is
    rendered from the catalog, anything else (and English) is the error's own text."""
    from reforge.messages import DEFAULT_LANG, has, render, resolve_lang
    argv = sys.argv[1:]
    given = next((a.split("=", 1)[1] for a in argv if a.startswith("--lang=")), None)
    if given is None and "--lang" in argv[:-1]:
        given = argv[argv.index("--lang") + 1]
    try:
        lang = resolve_lang(given)
    except Exception:  # an unknown --lang is the command's own error, not this one's
        return str(e)
    code = getattr(e, "code", None)
    generic = {getattr(k, "default_code", None) for k in type(e).__mro__}  # "error": says less than the text
    if lang == DEFAULT_LANG or not isinstance(code, str) or code in generic or not has(code, lang):
        return str(e)
    return render(code, getattr(e, "params", None) or {}, lang)


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
        err_console.print(f"[red]error:[/red] {_error_text(e)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as e:  # click usage errors and the like (Typer's own click, not the click package)
        if isinstance(e, typer.TyperException) and hasattr(e, "show"):
            if type(e).__name__ != "NoArgsIsHelpError":  # that one's help is already printed
                e.show()
            sys.exit(getattr(e, "exit_code", 2) or 2)
        if _DEBUG or "--debug" in sys.argv:
            raise
        err_console.print(f"[red]error:[/red] {type(e).__name__}: {e} (run with --debug for details)",
                          highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
