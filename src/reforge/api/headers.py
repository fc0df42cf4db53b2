"""Security headers on every response (pure ASGI middleware) and the Content-Security-Policy.

The dashboard loads only its own static files (``/static``: htmx, ECharts, app.js, app.css);
chart options travel in ``<script type="application/json">`` blocks, which a CSP does not
block because they never execute. So ``script-src 'self'`` holds, plus the SHA-256 of each
inline event handler written literally in a template (``onchange="this.form.submit()"``),
allowed with ``'unsafe-hashes'`` and computed from the templates at start-up. Styles allow
``'unsafe-inline'``: templates use ``style=""`` attributes and htmx inserts its indicator
``<style>``; CSS cannot run script. A response that sets its own CSP (the Swagger UI page,
which needs a nonce for its one inline script) keeps it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TEMPLATES = Path(__file__).resolve().parents[1] / "web" / "templates"
_HANDLER = re.compile(r"""\son[a-z]+="([^"{}]*)"|\son[a-z]+='([^'{}]*)'""")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def handler_hashes(templates: Path = TEMPLATES) -> list[str]:
    """CSP hash sources of the literal inline event handlers in the templates (sorted, unique)."""
    found: set[str] = set()
    for f in sorted(templates.rglob("*.html")):
        for m in _HANDLER.finditer(f.read_text(encoding="utf-8")):
            found.add(m.group(1) if m.group(1) is not None else m.group(2))
    return sorted(_sha256(h) for h in found)


def content_security_policy(script_sources: list[str] | None = None) -> str:
    """The policy; ``script_sources`` adds sources to ``script-src`` (hashes, a nonce)."""
    hashes = handler_hashes() if script_sources is None else script_sources
    script = " ".join(["'self'", *(["'unsafe-hashes'"] if any(h.startswith("'sha") for h in hashes) else []),
                       *hashes])
    return ("default-src 'self'; "
            f"script-src {script}; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def nonce_inline_scripts(html: str) -> tuple[str, str]:
    """``html`` with a fresh nonce on every ``<script>`` that has no ``src``; (html, CSP allowing it)."""
    nonce = secrets.token_urlsafe(16)
    out = re.sub(r"<script>", f'<script nonce="{nonce}">', html)
    return out, content_security_policy([f"'nonce-{nonce}'"])


class SecurityHeadersMiddleware:
    """Add CSP, X-Frame-Options, X-Content-Type-Options and Referrer-Policy to every HTTP response."""

    def __init__(self, app: ASGIApp, csp: str | None = None) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", (csp or content_security_policy()).encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                have = {k.lower() for k, _ in msg.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in have]
                msg = {**msg, "headers": [*msg.get("headers", []), *extra]}
            await send(msg)

        await self.app(scope, receive, send_with_headers)
