"""Plausible Chinese names (enterprises, institutions, experts), vectorised."""

from __future__ import annotations

import re

import numpy as np

BRAND = list("恒瑞华达新科精锐通宏信泰鑫源博创力德睿盛远航星海光天正中联卓越汇凯嘉安和隆丰美晶芯智微弘铭润腾峰诚昌宇翔辰迈奥思谱朗杰")
TRADE = {
    "industrial_robot": ["机器人", "智能装备", "自动化", "精密传动", "智能科技"],
    "nev_battery": ["新能源", "锂电科技", "能源科技", "新材料", "动力科技"],
    "cnc_machine_tool": ["数控机床", "精密机械", "机床", "智能制造", "精工"],
    "integrated_circuit": ["半导体", "微电子", "集成电路", "芯片科技", "电子材料"],
    "construction_hydraulics": ["液压", "流体科技", "重工", "工程机械", "液压件"],
    "display_panel": ["光电", "显示科技", "光电材料", "电子科技", "新型显示"],
    None: ["机械", "电气", "科技", "实业", "制造", "工业"],
}
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红春梅文斌海波宁辉林鹏飞雪琳晨宇浩然思远博睿峰凯")

_SUFFIX = re.compile(r"(特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|省|市|地区|盟|自治州)$")


def short_place(name: str) -> str:
    """'苏州市' -> '苏州', '黔东南苗族侗族自治州' -> '黔东南' (at most 3 characters)."""
    s = _SUFFIX.sub("", name)
    for tag in ("苗族", "藏族", "彝族", "回族", "蒙古族", "哈萨克", "朝鲜族", "土家族", "布依族", "壮族", "傣族",
                "白族", "哈尼族", "傈僳族", "景颇族", "羌族", "柯尔克孜"):
        i = s.find(tag)
        if i > 0:
            s = s[:i]
    return s[:3] if len(s) > 3 else s


def enterprise_names(rng: np.random.Generator, place: np.ndarray, chain: np.ndarray,
                     listed: np.ndarray) -> np.ndarray:
    """'<place><two brand characters><trade word><有限公司|股份有限公司>' per firm."""
    n = len(place)
    brand = np.array(BRAND)
    b1 = brand[rng.integers(0, len(brand), n)]
    b2 = brand[rng.integers(0, len(brand), n)]
    b2 = np.where(b1 == b2, brand[(rng.integers(0, len(brand) - 1, n) + 1) % len(brand)], b2)
    trade = np.empty(n, dtype=object)
    pick = rng.integers(0, 5, n)
    for key, words in TRADE.items():
        mask = (chain == key) if key is not None else np.array([c is None for c in chain])
        trade[mask] = np.array(words, dtype=object)[pick[mask] % len(words)]
    suffix = np.where(listed | (rng.random(n) < 0.08), "股份有限公司", "有限公司")
    out = (place.astype(object) + b1.astype(object) + b2.astype(object) + trade + suffix.astype(object))
    return out


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Chinese personal names: surname + one or two given-name characters."""
    s = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    g = np.array(GIVEN, dtype=object)
    g1 = g[rng.integers(0, len(GIVEN), n)]
    g2 = np.where(rng.random(n) < 0.6, g[rng.integers(0, len(GIVEN), n)], "")
    return s + g1 + g2
