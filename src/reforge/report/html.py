"""A self-contained HTML report: headings, paragraphs, tables and matplotlib figures
embedded as base64 PNG (no external files, no network)."""

from __future__ import annotations

import base64
import html
import io
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

_CSS = """
body{font-family:'Noto Sans','Noto Sans CJK SC',Arial,sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.45}
h1{border-bottom:3px solid #1f5fa8;padding-bottom:.2em} h2{color:#1f5fa8;margin-top:1.6em}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em} th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#eef3fa} td:first-child,th:first-child{text-align:left}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.5em 1em} figure{margin:1em 0} img{max-width:100%}
.meta{color:#777;font-size:.85em}
"""


class HtmlReport:
    """Build a report piece by piece, then ``write(path)`` or ``to_html()``."""

    def __init__(self, title: str, subtitle: str | None = None, lang: str = "en") -> None:
        from reforge.messages import render
        self.title = title
        self.lang = lang
        self.parts: list[str] = [f"<h1>{html.escape(title)}</h1>"]
        if subtitle:
            self.parts.append(f"<p class='meta'>{html.escape(subtitle)}</p>")
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        self.parts.append(f"<p class='meta'>{html.escape(render('report.generated', {'stamp': stamp}, lang))}</p>")

    def heading(self, text: str, level: int = 2) -> HtmlReport:
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")
        return self

    def paragraph(self, text: str, note: bool = False) -> HtmlReport:
        cls = " class='note'" if note else ""
        self.parts.append(f"<p{cls}>{html.escape(text)}</p>")
        return self

    def bullets(self, items: list[str]) -> HtmlReport:
        self.parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
        return self

    def table(self, df: pd.DataFrame, float_format: str = "{:,.4f}", max_rows: int = 500) -> HtmlReport:
        """Add a DataFrame as an HTML table (first ``max_rows`` rows)."""
        fmt = {c: (lambda v, f=float_format: "" if pd.isna(v) else f.format(v))
               for c in df.columns if pd.api.types.is_float_dtype(df[c])}
        self.parts.append(df.head(max_rows).to_html(index=False, formatters=fmt, escape=True, border=0))
        return self

    def figure(self, fig, caption: str | None = None, dpi: int = 110) -> HtmlReport:
        """Embed a matplotlib figure as a PNG data URI (the figure is closed afterwards)."""
        import matplotlib.pyplot as plt
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        plt.close(fig)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self.parts.append(f"<figure><img alt='{html.escape(caption or 'figure')}' "
                          f"src='data:image/png;base64,{data}'/>{cap}</figure>")
        return self

    def raw(self, fragment: str) -> HtmlReport:
        """Add a trusted HTML fragment as is."""
        self.parts.append(fragment)
        return self

    def to_html(self) -> str:
        return (f"<!DOCTYPE html><html lang='{'zh-CN' if self.lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
                f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>"
                + "\n".join(self.parts) + "</body></html>")

    def write(self, path: str | Path) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.to_html(), encoding="utf-8")
        return p
