import pandas as pd
import pytest

from reforge.ingest.codes import division_codes, industry_codes, uscc_check_char, uscc_problems
from tests.synth import check_char

# Unified social credit codes of well-known listed companies, as published on their
# business licences / annual reports (public registration data).
REAL_USCC = ["914403001922038216",   # Huawei Technologies Co., Ltd.
             "91440300708461136T",   # Shenzhen Tencent Computer Systems Co., Ltd.
             "91330100799655058B",   # Alibaba (China) Co., Ltd.
             "91440300192317458F",   # BYD Company Ltd.
             "91110000600037341L"]


@pytest.mark.parametrize("code", REAL_USCC)
def test_real_codes_are_valid(code):
    assert uscc_check_char(code[:17]) == code[17]
    assert uscc_problems(pd.Series([code])).iloc[0] is None


def test_check_char_matches_independent_implementation():
    import random
    rnd = random.Random(1)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for _ in range(500):
        body = "91" + "320100" + "".join(rnd.choice(alphabet) for _ in range(9))
        assert uscc_check_char(body) == check_char(body)


def test_problems_name_the_reason():
    good = REAL_USCC[0]
    wrong_check = good[:17] + ("7" if good[17] != "7" else "8")
    bad_div = "91999999" + good[8:17]
    bad_div += check_char(bad_div)
    reasons = uscc_problems(pd.Series([good, wrong_check, good[:10], bad_div, None,
                                       good[:5] + "I" + good[6:]]))
    assert reasons[0] is None
    assert "check digit is 7, expected 6" in reasons[1]
    assert "18 characters" in reasons[2]
    assert "(999999) are not a GB/T 2260 division code" in reasons[3]
    assert reasons[4] is None
    assert "alphabet" in reasons[5]


def test_code_lists_include_current_and_retired_codes():
    d = division_codes()
    assert "320000" in d and "110101" in d
    assert "320100" in d and "100000" in d
    assert len(d) > 3500  # retired codes from the 1981-2024 history are kept
    ind = industry_codes()
    assert {"C", "34", "349", "3491"} <= ind
    assert "9999" not in ind
