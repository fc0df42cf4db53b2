"""Joint research for the demo province: collaborations, R&D personnel moves and public platforms.

Planted propensities (documented in ``PLANTED.md`` and ``PLANTED["research"]``):

- **Partners are near in fields and regions.** A collaboration picks an institution, one of its
  fields (an item), then with probability ``FIELD_FIT`` an enterprise with a capability on that
  item (same province weighted ``REGION_WEIGHT`` times), else any producer (noise). With
  probability ``REPEAT`` a year's collaboration repeats a pair of an earlier year.
- **Good credit leads.** An enterprise leads (``led_by = enterprise``) with probability
  ``LEAD_P[rating]`` by its latest tax rating (A 0.75, B 0.5, others 0.25).
- **Thin flow in blank fields.** Personnel moves pick a field (item) with weight 1, except the
  first ``THIN_SHARE`` of blank items (sorted by id), weighted ``THIN_WEIGHT``: the planted thin fields.
- **Platforms leave generic technologies uncovered.** Items in two or more chain templates whose
  id sorts first (``UNCOVERED_GENERIC`` of them) are in no platform's fields.
- **SMEs are under-served.** A platform user is drawn with weight ``USAGE_WEIGHT[size_class]``.

Everything is drawn from ``numpy.random.default_rng([seed, 16])``: same tables and seed, same rows.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

YEARS = tuple(range(2018, 2026))
FIELD_FIT = 0.85
REGION_WEIGHT = 4.0
REPEAT = 0.35
LEAD_P = {"A": 0.75, "B": 0.5}
LEAD_P_OTHER = 0.25
THIN_SHARE = 0.5
THIN_WEIGHT = 0.08
UNCOVERED_GENERIC = 3
USAGE_WEIGHT = {"large": 6.0, "medium": 3.0, "small": 1.0, "micro": 0.5}
INSIDE = ("university", "institute", "state_enterprise", "platform")
# organisation-type transition weights of personnel moves (from -> to)
MOVE_TYPES = ("university", "institute", "state_enterprise", "private_enterprise", "platform")
MOVE_W = np.array([[0, 3, 2, 4, 1], [2, 0, 2, 3, 1], [1, 2, 0, 3, 1], [1, 1, 2, 0, 1], [1, 1, 1, 2, 0]], float)
PLATFORM_KINDS = ("generic_technology", "pilot_scale", "testing", "innovation_center", "shared_facility")
SERVICES = ("rd", "testing", "pilot", "data", "training")


def latest_tax_rating(credit_records: pd.DataFrame) -> pd.Series:
    """Latest tax rating (A/B/M/C/D) per uscc."""
    tr = credit_records[credit_records["kind"] == "tax_rating"].sort_values(["uscc", "recorded_on"])
    return tr.groupby("uscc")["value"].last()


def thin_fields(items_state: dict[str, str]) -> list[str]:
    """The planted thin-flow fields: the first half (by id) of the blank items."""
    blank = sorted(i for i, s in items_state.items() if s == "blank")
    return blank[: int(np.ceil(len(blank) * THIN_SHARE))]


def uncovered_generic(chain_items: pd.DataFrame) -> list[str]:
    """Items in >= 2 chain templates left without a platform (first ``UNCOVERED_GENERIC`` by id)."""
    n = chain_items.groupby("item_id")["chain_id"].nunique()
    return sorted(n[n >= 2].index)[:UNCOVERED_GENERIC]


def _hash(i: int, seed: int) -> str:
    return hashlib.sha256(f"demo-person-{seed}-{i}".encode()).hexdigest()


def plant_research(out: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
    """Add ``collaborations``, ``personnel_moves``, ``platforms``, ``platform_fields`` and
    ``platform_usage`` to the demo tables ``out`` (returned)."""
    from reforge.demo.atlas import designs
    rng = np.random.default_rng([int(seed), 16])
    ent = out["enterprises"]
    inst = out["institutions"].reset_index(drop=True)
    fields = out["institution_fields"]
    caps = out["capabilities"]
    caps = caps[caps["producer_type"] == "enterprise"][["producer_id", "item_id"]].drop_duplicates()
    caps = caps[caps["producer_id"].isin(set(ent["uscc"]))]
    prov = ent.set_index("uscc")["province_code"]
    producers = caps["producer_id"].drop_duplicates().sort_values().to_numpy()
    makers = {k: g["producer_id"].to_numpy() for k, g in caps.groupby("item_id")}
    inst_fields = {k: g["field"].to_numpy() for k, g in fields.groupby("institution_id")}
    rating = latest_tax_rating(out["credit_records"])
    # --- collaborations
    n_inst = len(inst)
    per_year = int(np.clip(len(ent) // 40, 30, 3000))
    rows: list[tuple] = []
    pairs: list[tuple[str, str, str]] = []
    kinds = np.array(["joint_project", "patent", "paper", "contract"])
    for y in YEARS:
        for _ in range(per_year):
            if pairs and rng.random() < REPEAT:
                u, iid, fld = pairs[int(rng.integers(0, len(pairs)))]
            else:
                k = int(rng.integers(0, n_inst))
                iid = inst["institution_id"].iat[k]
                fl = inst_fields.get(iid)
                if fl is None or len(producers) == 0:
                    continue
                fld = str(fl[int(rng.integers(0, len(fl)))])
                cand = makers.get(fld)
                if cand is not None and len(cand) and rng.random() < FIELD_FIT:
                    w = np.where(prov.reindex(cand).to_numpy() == inst["province_code"].iat[k], REGION_WEIGHT, 1.0)
                    u = str(rng.choice(cand, p=w / w.sum()))
                else:
                    u = str(producers[int(rng.integers(0, len(producers)))])
                pairs.append((u, iid, fld))
            p_lead = LEAD_P.get(str(rating.get(u, "")), LEAD_P_OTHER)
            led = "enterprise" if rng.random() < p_lead else "institution"
            rows.append((u, iid, str(kinds[int(rng.integers(0, 4))]), fld, y,
                         float(np.round(np.exp(rng.normal(np.log(1.5e6), 0.8)), -3)), led))
    col = pd.DataFrame(rows, columns=["uscc", "institution_id", "kind", "field", "year", "value", "led_by"])
    col.insert(0, "collab_id", [f"CO{i + 1:07d}" for i in range(len(col))])
    col["item_id"] = col["field"]
    out["collaborations"] = col
    # --- personnel moves
    ds = designs()
    all_items = sorted(set(out["items"]["item_id"]))
    state = {i: ds[i].state for i in all_items if i in ds}
    thin = set(thin_fields(state))
    w_field = np.array([THIN_WEIGHT if i in thin else 1.0 for i in all_items])
    n_moves = int(np.clip(len(ent) // 10, 200, 20000))
    y_m = rng.choice(np.array(YEARS), size=n_moves)
    fr = rng.integers(0, len(MOVE_TYPES), n_moves)
    to = np.array([rng.choice(len(MOVE_TYPES), p=MOVE_W[f] / MOVE_W[f].sum()) for f in fr])
    fld_m = np.array(all_items, dtype=object)[rng.choice(len(all_items), size=n_moves, p=w_field / w_field.sum())]
    mkinds = rng.choice(["full_move", "secondment", "part_time", "dual_appointment"], size=n_moves,
                        p=[0.5, 0.2, 0.2, 0.1])
    out["personnel_moves"] = pd.DataFrame({
        "move_id": [f"MV{i + 1:07d}" for i in range(n_moves)],
        "person_key": [_hash(i, int(seed)) for i in range(n_moves)],
        "from_type": np.array(MOVE_TYPES, dtype=object)[fr], "to_type": np.array(MOVE_TYPES, dtype=object)[to],
        "field": fld_m, "year": y_m.astype(int), "kind": mkinds})
    # --- platforms
    skip = set(uncovered_generic(out["chain_items"]))
    pool = [i for i in all_items if i not in skip]
    n_pf = int(np.clip(n_inst // 3, 6, 300))
    hosts = inst["institution_id"].to_numpy()[rng.choice(n_inst, size=n_pf, replace=n_pf > n_inst)]
    hp = inst.set_index("institution_id")["province_code"]
    plat = pd.DataFrame({
        "platform_id": [f"PF{i + 1:04d}" for i in range(n_pf)],
        "name": [f"共性技术公共服务平台{i + 1}" for i in range(n_pf)],
        "name_en": [f"Public R&D Platform {i + 1}" for i in range(n_pf)],
        "kind": rng.choice(PLATFORM_KINDS, size=n_pf), "level": rng.choice(["national", "provincial", "city"],
                                                                            size=n_pf, p=[0.2, 0.5, 0.3]),
        "host_id": hosts, "host_type": "institution", "province_code": hp.reindex(hosts).to_numpy(),
        "open_services": rng.random(n_pf) < 0.8, "founded_year": rng.integers(2010, 2022, n_pf)})
    pf_rows = []
    for pid in plat["platform_id"]:
        for fld in rng.choice(pool, size=int(rng.integers(2, 6)), replace=False):
            for s in rng.choice(SERVICES, size=int(rng.integers(1, 3)), replace=False):
                pf_rows.append((pid, str(fld), str(s)))
    out["platform_fields"] = pd.DataFrame(pf_rows, columns=["platform_id", "field", "service"])
    size = ent["size_class"].fillna("small").to_numpy()
    w_u = np.array([USAGE_WEIGHT.get(s, 1.0) for s in size])
    use_rows = []
    pfld = out["platform_fields"].groupby("platform_id")["field"].first()
    for pid in plat["platform_id"]:
        for y in YEARS[-4:]:
            k = int(rng.integers(3, 12))
            who = rng.choice(len(ent), size=min(k, len(ent)), replace=False, p=w_u / w_u.sum())
            for j in who:
                use_rows.append((pid, ent["uscc"].iat[j], y, pfld[pid], int(rng.integers(1, 20)),
                                 float(np.round(rng.uniform(2e4, 5e5), -2))))
    out["platforms"] = plat
    out["platform_usage"] = pd.DataFrame(use_rows, columns=["platform_id", "uscc", "year", "field", "uses", "value"])
    return out


def planted_research() -> dict:
    """The planted truth of this module (for ``PLANTED["research"]``), from the atlas alone."""
    from reforge.demo.atlas import designs, template
    t = template()
    state = {i: designs()[i].state for i in t["items"]["item_id"]}
    return {"lead_probability_by_tax_rating": {**LEAD_P, "other": LEAD_P_OTHER},
            "field_fit": FIELD_FIT, "region_weight": REGION_WEIGHT, "repeat": REPEAT,
            "thin_fields": thin_fields(state), "thin_weight": THIN_WEIGHT,
            "uncovered_generic": uncovered_generic(t["chain_items"]), "usage_weight_by_size": dict(USAGE_WEIGHT),
            "inside_system": list(INSIDE)}
