"""API texts in the request's language (issue 12 point 3), on a real uvicorn server: chain
bottleneck reasons, a validation error and 404s in Chinese for ``Accept-Language: zh-CN``,
unchanged English by default, ``?lang=`` winning over the header, ``code``/``params`` untouched;
and hostile values in the parameters that reach SQL leave every table unchanged."""

from __future__ import annotations

import re

import httpx
import pytest

from reforge.api.lang import from_accept_language
from reforge.messages import render_coded

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
HAN = re.compile(r"[\u4e00-\u9fff]")
CHAIN = "robot_chain"


def _get(url: str, path: str, headers: dict, **params) -> httpx.Response:
    return httpx.get(f"{url}/api/v1{path}", headers=headers, params=params, timeout=60)


@pytest.mark.parametrize(("header", "want"), [
    ("zh-CN,zh;q=0.9", "zh"), ("en-US,en;q=0.9,zh;q=0.8", "en"), ("fr, zh;q=0.5, en;q=0.4", "zh"),
    ("zh;q=0, en", "en"), ("*", None), ("", None), ("zh-Hant-TW", "zh"), ("xx;q=abc,,;;", None),
    ("EN", "en"), ("de", None), ("zh;q=1.5", None)])
def test_accept_language_parsing(header, want):
    assert from_accept_language(header) == want


def test_bottleneck_reasons_follow_accept_language(base_url, analyst):
    en = _get(base_url, f"/chains/{CHAIN}/bottlenecks", analyst)
    zh = _get(base_url, f"/chains/{CHAIN}/bottlenecks", {**analyst, **ZH})
    assert en.status_code == zh.status_code == 200
    ie, iz = en.json()["items"], zh.json()["items"]
    assert [i["item_id"] for i in ie] == [i["item_id"] for i in iz] and ie
    n = 0
    for a, b in zip(ie, iz, strict=True):
        assert a["reason_codes"] == b["reason_codes"]  # codes and params stay as they are
        assert a["reasons"] == [render_coded(c, "en") for c in a["reason_codes"]]
        assert b["reasons"] == [render_coded(c, "zh") for c in b["reason_codes"]]
        for text in b["reasons"]:
            assert HAN.search(text), text
            n += 1
        assert {k: v for k, v in a.items() if k != "reasons"} == {k: v for k, v in b.items() if k != "reasons"}
    assert n >= len(ie)
    assert not any(HAN.search(t) for i in ie for t in i["reasons"])
    # ?lang= wins over the header, both ways
    assert _get(base_url, f"/chains/{CHAIN}/bottlenecks", {**analyst, **ZH}, lang="en").json() == en.json()
    assert _get(base_url, f"/chains/{CHAIN}/bottlenecks", analyst, lang="zh").json() == zh.json()


def test_not_found_in_both_languages(base_url, analyst):
    en = _get(base_url, "/chains/nosuch/bottlenecks", analyst)
    zh = _get(base_url, "/chains/nosuch/bottlenecks", {**analyst, **ZH})
    assert en.status_code == zh.status_code == 404
    assert en.json() == {"detail": "chain nosuch not found"}
    assert zh.json() == {"detail": "未找到产业链 nosuch"}
    en = _get(base_url, "/enterprises/91000000000000000X", analyst)
    zh = _get(base_url, "/enterprises/91000000000000000X", {**analyst, **ZH})
    assert (en.status_code, en.json()) == (404, {"detail": "enterprise 91000000000000000X not found"})
    assert (zh.status_code, zh.json()) == (404, {"detail": "未找到企业 91000000000000000X"})
    # a path no route serves
    assert _get(base_url, "/nosuch", {}).json() == {"detail": "Not Found"}
    assert _get(base_url, "/nosuch", ZH).json() == {"detail": "未找到"}


def test_validation_error_in_both_languages(base_url, analyst):
    en = _get(base_url, "/chains/generic", analyst, top="many")
    zh = _get(base_url, "/chains/generic", {**analyst, **ZH}, top="many")
    assert en.status_code == zh.status_code == 422
    (e,), (z,) = en.json()["detail"], zh.json()["detail"]
    assert e["msg"] == "Input should be a valid integer, unable to parse string as an integer"
    assert z["msg"] == "top 必须是整数"
    assert {k: v for k, v in e.items() if k != "msg"} == {k: v for k, v in z.items() if k != "msg"}
    z = _get(base_url, "/chains/generic", {**analyst, **ZH}, top="0").json()["detail"][0]
    assert z["msg"] == "top 必须大于或等于 1" and z["ctx"] == {"ge": 1}
    # a coded library error (422 from the enterprise search) keeps code/params, text in Chinese
    en = _get(base_url, "/enterprises", analyst, province="Atlantis")
    zh = _get(base_url, "/enterprises", {**analyst, **ZH}, province="Atlantis")
    assert en.status_code == zh.status_code == 422
    (e,), (z,) = en.json()["detail"], zh.json()["detail"]
    assert e["code"] == z["code"] == "enterprises.unknown_province" and e["params"] == z["params"] == {
        "province": "Atlantis"}
    assert e["msg"].startswith("unknown province 'Atlantis'") and z["msg"].startswith("未知省份 Atlantis")


def test_unauthenticated_and_forbidden_in_chinese(base_url, enterprise):
    r = _get(base_url, f"/chains/{CHAIN}/bottlenecks", ZH)
    assert r.status_code == 401 and r.json() == {"detail": "未登录或令牌无效"}
    r = _get(base_url, f"/chains/{CHAIN}/bottlenecks", {**enterprise, **ZH})
    assert r.status_code == 403 and r.json() == {"detail": "分析接口需要分析员或管理员角色"}
    assert _get(base_url, f"/chains/{CHAIN}/bottlenecks", enterprise).json() == {
        "detail": "analysis endpoints need the analyst or admin role"}


HOSTILE = ["'", "'; DROP TABLE enterprises; --", "\\", "a\\'b", "%_%", "x" * 10_000, "名称'\"", "\x00"]


def test_hostile_values_reaching_sql(base_url, analyst, db_file):
    """Search, indicators, key sectors and item lookups bind their values: no 500, no changed row."""
    def snapshot() -> dict:
        r = _get(base_url, "/enterprises", analyst, page_size=100)
        return {"enterprises": r.json()["total"], "indicators": len(_get(base_url, "/indicators", analyst).json())}
    before = snapshot()
    assert before["enterprises"] > 0
    for v in HOSTILE:
        for path, params in [("/enterprises", {"q": v}), ("/enterprises", {"industry_code": v}),
                             ("/enterprises", {"designation": v}), ("/enterprises", {"chain_id": v}),
                             ("/indicators", {"region": v[:12]}), ("/indicators", {"indicator": v[:80]}),
                             (f"/sectors/{v[:200]}/key-sectors", {}), (f"/items/{v[:200]}", {})]:
            try:
                r = _get(base_url, path, analyst, **params)
            except httpx.InvalidURL:  # a NUL in a path is refused by the client itself
                continue
            assert r.status_code < 500, (path, params, r.text[:300])
            if r.status_code == 200 and path == "/enterprises" and "q" in params:
                assert r.json()["total"] == 0, (v, r.json()["total"])
    assert snapshot() == before
    # a LIKE wildcard in q matches itself only
    assert _get(base_url, "/enterprises", analyst, q="%").json()["total"] == 0


def test_screening_reasons_follow_accept_language(base_url, analyst):
    """Another capability's reasons (firm screening: reasons + reason_codes per tier) in Chinese."""
    from tests.api import smalldb
    path = f"/enterprises/{smalldb.E1}/screening"
    en, zh = _get(base_url, path, analyst).json(), _get(base_url, path, {**analyst, **ZH}).json()
    assert en["screening"].keys() == zh["screening"].keys() and en["screening"]
    for tier, s in zh["screening"].items():
        assert s["reason_codes"] == en["screening"][tier]["reason_codes"]
        assert s["reasons"] == [render_coded(c, "zh") for c in s["reason_codes"]]
        assert all(HAN.search(t) for t in s["reasons"]) and s["reasons"]
        assert not any(HAN.search(t) for t in en["screening"][tier]["reasons"])
