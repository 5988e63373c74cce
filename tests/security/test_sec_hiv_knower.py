"""Who may know HIV status: the admin, and the commune officer of the person's commune."""

import pytest

from btxh.access import may_know_hiv

XA = {"id": "xa", "role": "can_bo_xa", "communes": ["00001", "00004"]}


@pytest.mark.parametrize("actor, communes, expected", [
    pytest.param({"id": "a", "role": "quan_tri"}, [], True, id="admin-anywhere"),
    pytest.param(XA, ["00001"], True, id="commune-officer-own-commune"),
    pytest.param(XA, ["00001", "00004"], True, id="commune-officer-all-own-communes"),
    pytest.param(XA, ["00001", "00007"], False, id="commune-officer-one-other-commune"),
    pytest.param(XA, [], False, id="commune-officer-no-named-commune"),
    pytest.param({"id": "t", "role": "tinh", "province": "01", "communes": ["00001"]}, ["00001"], False,
                 id="province-staff-never"),
    pytest.param({"id": "p", "role": "phan_tich"}, ["00001"], False, id="analyst-never"),
    pytest.param(None, ["00001"], False, id="anonymous-never"),
    pytest.param({"id": "x", "role": "forged"}, ["00001"], False, id="unknown-role-never"),
])
def test_who_may_know_hiv_status(actor, communes, expected):
    assert may_know_hiv(actor, communes) is expected
