"""Every 2xx response of every /api/v1 route is described in the OpenAPI document (issue 12
point 4): a JSON body has a schema with declared properties (not ``{}`` nor an any-object),
a file download a binary string, a 204 no body. Models describe and never reshape: a body with
keys no model declares comes back whole, and a declared field the body lacks is not added."""

from __future__ import annotations

from typing import Any

import pytest

from reforge.api import create_app


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> dict:
    app = create_app(tmp_path_factory.mktemp("oa") / "a.duckdb")
    try:
        return app.openapi()
    finally:
        app.state.db.close()


def _problem(schema: dict | None, comps: dict, seen: frozenset = frozenset()) -> str | None:
    """Why ``schema`` does not describe a body (None when it does)."""
    if not schema:
        return "no schema"
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return None
        return _problem(comps[name], comps, seen | {name})
    if "anyOf" in schema or "oneOf" in schema:
        alts = [s for s in schema.get("anyOf", schema.get("oneOf")) if s.get("type") != "null"]
        probs = [_problem(s, comps, seen) for s in alts]
        return None if alts and not any(probs) else f"anyOf: {probs}"
    t = schema.get("type")
    if t == "array":
        p = _problem(schema.get("items"), comps, seen)
        return p and f"array of {p}"
    if t == "object" or "properties" in schema:
        return None if schema.get("properties") else "an object without declared properties"
    if t == "string" and schema.get("format") == "binary":
        return None
    return f"a bare {t or 'schema'}"


def test_every_success_response_has_a_schema(spec):
    comps = spec.get("components", {}).get("schemas", {})
    bad: list[str] = []
    n = 0
    for path, ops in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in ops.items():
            for code, resp in op.get("responses", {}).items():
                if not code.startswith("2"):
                    continue
                n += 1
                content = resp.get("content") or {}
                if code == "204":
                    if content:
                        bad.append(f"{method.upper()} {path} 204 declares a body")
                    continue
                if not content:
                    bad.append(f"{method.upper()} {path} {code}: no content")
                for media, body in content.items():
                    p = _problem(body.get("schema"), comps)
                    if media == "text/html" and body.get("schema", {}).get("type") == "string":
                        p = None  # the policy report page
                    if p:
                        bad.append(f"{method.upper()} {path} {code} {media}: {p}")
    assert n > 40
    assert not bad, "\n".join(bad)


def test_the_walk_catches_a_route_without_a_model(tmp_path):
    """The check itself fails on an undeclared body (so the test above can fail)."""
    from fastapi import APIRouter
    app = create_app(tmp_path / "b.duckdb")
    try:
        r = APIRouter()

        @r.get("/api/v1/untyped")
        def untyped() -> dict:
            return {}
        app.include_router(r)
        app.openapi_schema = None
        spec = app.openapi()
        comps = spec["components"]["schemas"]
        schema = spec["paths"]["/api/v1/untyped"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert _problem(schema, comps) == "an object without declared properties"
    finally:
        app.state.db.close()


def test_models_keep_every_key_and_add_none():
    from reforge.api.models.chains import BottlenecksModel
    from reforge.api.models.firms import SearchModel
    body: dict[str, Any] = {"chain_id": "c", "extra": {"x": [1, 2.5]},
                            "items": [{"item_id": "i", "label": "weak", "custom": None, "priority": 3}]}
    m = BottlenecksModel.model_validate(body)
    out = m.model_dump(mode="json", exclude_unset=True)
    assert out == body and type(out["items"][0]["priority"]) is int
    s = {"total": 1, "page": 1, "page_size": 20, "items": [{"uscc": "u", "revenue": 1.5, "tiers": []}]}
    assert SearchModel.model_validate(s).model_dump(mode="json", exclude_unset=True) == s
