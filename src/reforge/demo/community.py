"""Institutions with research fields, demands and offers with text, experts and appraisals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reforge.demo.atlas import designs, template
from reforge.demo.firms import HOME_PROVINCE, Firms
from reforge.demo.names import person_names

INST_KINDS = {"university": ("大学", "University"), "institute": ("研究院", "Research Institute"),
              "lab": ("重点实验室", "Key Laboratory"), "platform": ("公共服务平台", "Public Service Platform")}
CITY_WORDS = ["南京", "苏州", "无锡", "常州", "南通", "扬州", "镇江", "徐州", "泰州", "盐城"]
CITY_EN = ["Nanjing", "Suzhou", "Wuxi", "Changzhou", "Nantong", "Yangzhou", "Zhenjiang", "Xuzhou", "Taizhou",
           "Yancheng"]
FIELD_WORDS = {"industrial_robot": ("机器人与智能制造", "Robotics"), "nev_battery": ("新能源材料", "Energy Materials"),
               "cnc_machine_tool": ("精密制造", "Precision Manufacturing"),
               "integrated_circuit": ("集成电路", "Integrated Circuits"),
               "construction_hydraulics": ("流体传动与控制", "Fluid Power"),
               "display_panel": ("光电显示", "Optoelectronics and Displays")}
SPECS = ["精度等级P4以上", "寿命不低于2万小时", "满足车规级AEC-Q100", "国产化替代", "小批量试用", "交期不超过8周",
         "通过ISO 9001认证", "耐压35MPa以上", "纯度6N", "线宽28nm及以上工艺"]
CRITERIA_APPRAISAL = ("innovation", "technical_level", "market_prospect", "chain_importance")


def make_institutions(rng: np.random.Generator, n_firms: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Universities, institutes, labs and platforms (mostly in the home province) and their fields."""
    t = template()
    ds = designs()
    n = int(np.clip(n_firms // 100, 30, 3000))
    kind = rng.choice(list(INST_KINDS), size=n, p=[0.2, 0.35, 0.3, 0.15])
    chain_ids = t["chains"].chain_id.to_numpy()
    chain = chain_ids[rng.integers(0, len(chain_ids), n)]
    city = rng.integers(0, len(CITY_WORDS), n)
    names, names_en = [], []
    seen: set[str] = set()
    for i in range(n):  # institutions are few (<= 3,000): a plain loop is fine
        zh_kind, en_kind = INST_KINDS[kind[i]]
        fz, fe = FIELD_WORDS[chain[i]]
        base = CITY_WORDS[city[i]] + ("理工" if kind[i] == "university" else fz)
        nm = base + zh_kind
        k = 2
        while nm in seen:
            nm = f"{base}第{k}{zh_kind}" if kind[i] != "university" else f"{base}{k}{zh_kind}"
            k += 1
        seen.add(nm)
        names.append(nm)
        names_en.append(f"{CITY_EN[city[i]]} {fe} {en_kind} {i + 1}")
    level = np.where(kind == "university", rng.choice(["national", "provincial"], n, p=[0.3, 0.7]),
                     rng.choice(["national", "provincial", "city"], n, p=[0.15, 0.5, 0.35]))
    prov = np.where(rng.random(n) < 0.85, HOME_PROVINCE, rng.choice(["310000", "330000", "110000"], n))
    inst = pd.DataFrame({"institution_id": [f"INST{i + 1:05d}" for i in range(n)], "name": names,
                         "name_en": names_en, "kind": kind, "province_code": prov, "level": level})
    ci = t["chain_items"]
    rows = []
    for i in range(n):
        pool = ci[ci.chain_id == chain[i]].item_id.to_numpy()
        weak = np.array([ds[x].state != "sound" for x in pool], dtype=float) + 0.5
        k = int(rng.integers(2, 6))
        pick = rng.choice(pool, size=min(k, len(pool)), replace=False, p=weak / weak.sum())
        for x in pick:
            rows.append((inst.institution_id.iat[i], x, round(float(rng.uniform(0.3, 1.0)), 2)))
    fields = pd.DataFrame(rows, columns=["institution_id", "field", "strength"])
    return inst, fields


def make_demands_offers(rng: np.random.Generator, f: Firms, inst: pd.DataFrame,
                        fields: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Purchase and R&D demands of downstream firms; product offers of firms, research offers of institutions."""
    t = template()
    items = t["items"].set_index("item_id")
    links = t["chain_links"].drop_duplicates(["input_item", "output_item"])
    inputs_of = links.groupby("output_item").input_item.apply(list).to_dict()
    item_ids = t["items"].item_id.to_numpy()
    uscc = f.table.uscc.to_numpy()
    n = len(uscc)
    ok_items = [k for k, iid in enumerate(item_ids) if inputs_of.get(iid)]
    cand = np.flatnonzero(np.isin(f.item_idx, ok_items))
    nd = min(len(cand), max(20, n // 20))
    who = np.sort(rng.choice(cand, size=nd, replace=False)) if nd else np.array([], dtype=int)
    # one input of the buyer's item, chosen uniformly: flat list of (output, input) pairs
    pos = {iid: k for k, iid in enumerate(item_ids)}
    lk = links.assign(op=links.output_item.map(pos)).sort_values(["op", "input_item"])
    out_pos = lk.op.to_numpy()
    lk_start = np.searchsorted(out_pos, np.arange(len(item_ids)))
    lk_count = np.searchsorted(out_pos, np.arange(len(item_ids)), side="right") - lk_start
    bi = f.item_idx[who]
    pick = lk_start[bi] + np.floor(rng.random(nd) * lk_count[bi]).astype(np.int64)
    d_item = lk.input_item.to_numpy()[pick]
    zh = items.name_zh.reindex(d_item).to_numpy().astype(object)
    spec = np.array(SPECS, dtype=object)[rng.integers(0, len(SPECS), nd)]
    is_buy = rng.random(nd) < 0.7
    text = np.where(is_buy, "采购" + zh + "，" + spec + "，年需求稳定，欢迎省内企业报价。",
                    "联合攻关" + zh + "关键技术，" + spec + "，寻求高校院所或企业合作。")
    qty = np.where(is_buy, np.round(np.exp(rng.normal(np.log(2e6), 1.0, nd)), -3), np.nan)
    demands = pd.DataFrame({"demand_id": _ids("DM", nd, 7), "uscc": uscc[who], "item_id": d_item,
                            "kind": np.where(is_buy, "purchase", "rd"), "text": text, "quantity": qty,
                            "year": rng.integers(2022, 2026, nd)})
    prod = np.flatnonzero(f.item_idx >= 0)
    blank = [k for k, iid in enumerate(item_ids) if designs()[iid].state == "blank"]
    prod = prod[~np.isin(f.item_idx[prod], blank)]
    no = min(len(prod), max(20, n // 25))
    who = np.sort(rng.choice(prod, size=no, replace=False)) if no else np.array([], dtype=int)
    o_item = item_ids[f.item_idx[who]]
    zh = items.name_zh.reindex(o_item).to_numpy().astype(object)
    spec = np.array(SPECS, dtype=object)[rng.integers(0, len(SPECS), no)]
    firm_offers = pd.DataFrame({"offer_id": _ids("OF", no, 7), "provider_id": uscc[who],
                                "provider_type": "enterprise", "item_id": o_item,
                                "text": "供应" + zh + "，" + spec + "，可提供样品与技术支持。",
                                "year": rng.integers(2022, 2026, no)})
    o_rows = []
    k = no
    fl = fields.sample(n=min(len(fields), max(10, len(inst))), random_state=int(rng.integers(0, 2**31)))
    for j, r in enumerate(fl.itertuples()):
        zh = items.at[r.field, "name_zh"]
        text = f"{zh}方向研究成果转化与技术服务，具备中试平台，可开展联合研发。"
        o_rows.append((f"OF{k + j + 1:07d}", r.institution_id, "institution", r.field, text,
                       int(rng.integers(2022, 2026))))
    inst_offers = pd.DataFrame(o_rows, columns=["offer_id", "provider_id", "provider_type", "item_id", "text",
                                                "year"])
    return demands, pd.concat([firm_offers, inst_offers], ignore_index=True)


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def make_experts_appraisals(rng: np.random.Generator, f: Firms, inst: pd.DataFrame,
                            fields: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Experts (3 per institution, max 600), appraisals of new products and their scores."""
    t = template()
    items = t["items"].set_index("item_id")
    ne = int(min(600, 3 * len(inst)))
    home = rng.integers(0, len(inst), ne)
    fld = fields.groupby("institution_id").field.first().reindex(inst.institution_id).to_numpy()
    experts = pd.DataFrame({"expert_id": [f"EX{i + 1:05d}" for i in range(ne)],
                            "name": person_names(rng, ne), "field": fld[home],
                            "institution_id": inst.institution_id.to_numpy()[home],
                            "weight": np.round(rng.uniform(0.6, 1.5, ne), 2)})
    n = len(f.table)
    na = int(np.clip(n // 200, 10, 2000))
    firms = np.flatnonzero(f.item_idx >= 0)
    who = np.sort(rng.choice(firms, size=min(na, len(firms)), replace=False))
    item_ids = t["items"].item_id.to_numpy()
    kinds_by_found = {"equipment": "first_set", "end_product": "first_set", "material": "first_batch",
                      "software": "first_version"}
    a_rows, s_rows = [], []
    for j, b in enumerate(who):  # appraisals: at most 2,000
        item = item_ids[f.item_idx[b]]
        found = items.at[item, "foundation"]
        kind = kinds_by_found.get(found, "new_product" if rng.random() < 0.6 else "achievement")
        label = {"first_set": "首台（套）", "first_batch": "首批次", "first_version": "首版次",
                 "new_product": "新产品", "achievement": "科技成果"}[kind]
        aid = f"AP{j + 1:06d}"
        a_rows.append((aid, f.table.uscc.iat[b], kind, f"{items.at[item, 'name_zh']}{label}鉴定", item,
                       int(rng.integers(2021, 2026))))
        quality = rng.normal(75, 8)
        panel = rng.choice(ne, size=min(5, ne), replace=False)
        for e in panel:
            bias = rng.normal(0, 4)
            for c in CRITERIA_APPRAISAL:
                s_rows.append((aid, experts.expert_id.iat[e], c,
                               float(np.clip(round(quality + bias + rng.normal(0, 5), 1), 0, 100))))
    appraisals = pd.DataFrame(a_rows, columns=["appraisal_id", "uscc", "kind", "title", "item_id", "year"])
    scores = pd.DataFrame(s_rows, columns=["appraisal_id", "expert_id", "criterion", "score"])
    return experts, appraisals, scores
