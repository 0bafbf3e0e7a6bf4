"""The rate routes: authentication, tenant isolation, loading, validation and conversion."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.builders import Caller, standard_callers

URL = "/api/v1/fx-rates"
ROWS = [
    {"date": "2024-03-01", "base": "USD", "quote": "CNY", "rate": "7.1023", "source": "PBOC"},
    {"date": "2024-03-04", "base": "USD", "quote": "CNY", "rate": "7.1050", "source": "PBOC"},
    {"date": "2024-03-01", "base": "EUR", "quote": "CNY", "rate": "7.7120"},
]


@pytest.fixture
def callers(db: sessionmaker[Session]) -> dict[str, Caller]:
    return standard_callers(db)


def _load(client: TestClient, caller: Caller, rows: list[dict[str, str]]) -> dict[str, object]:
    response = client.post(f"{URL}:batch", json={"rows": rows}, headers=caller.headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_routes_need_a_bearer_key(client: TestClient, callers: dict[str, Caller]) -> None:
    for method, url, kwargs in [
        ("GET", URL, {}),
        ("POST", f"{URL}:batch", {"json": {"rows": ROWS}}),
        ("POST", f"{URL}/import", {"files": {"file": ("r.csv", b"date,base,quote,rate\n")}}),
        ("GET", f"{URL}/convert?amount=1&from=USD&to=CNY&on=2024-03-01", {}),
    ]:
        response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 401, url
        assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize("role", ["seller_a", "admin", "analyst", "underwriter"])
def test_every_key_loads_and_lists_its_own_rates(
    client: TestClient, callers: dict[str, Caller], role: str
) -> None:
    report = _load(client, callers[role], ROWS)
    assert (report["rows_read"], report["inserted"], report["applied"]) == (3, 3, True)
    listed = client.get(URL, headers=callers[role].headers).json()
    assert listed["total"] == 3
    # newest date first, then by pair; rates as canonical decimal strings
    assert [(r["date"], r["base"], r["rate"], r["source"]) for r in listed["items"]] == [
        ("2024-03-04", "USD", "7.105", "PBOC"),
        ("2024-03-01", "EUR", "7.712", "manual"),
        ("2024-03-01", "USD", "7.1023", "PBOC"),
    ]


def test_one_organisation_never_sees_anothers_rates(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    _load(client, callers["seller_a"], ROWS)
    seller_b = callers["seller_b"].headers
    assert client.get(URL, headers=seller_b).json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    insurer = client.get(URL, headers=callers["admin"].headers).json()
    assert insurer["total"] == 0
    converted = client.get(
        f"{URL}/convert",
        params={"amount": "100", "from": "USD", "to": "CNY", "on": "2024-03-01"},
        headers=seller_b,
    )
    assert converted.status_code == 422
    assert converted.json()["error"] == "rate_missing"
    # The same key in org B is org B's own row, not an update of org A's.
    report = _load(client, callers["seller_b"], [ROWS[0] | {"rate": "7.3"}])
    assert report["inserted"] == 1
    mine = client.get(URL, headers=callers["seller_a"].headers).json()["items"]
    assert "7.3" not in [r["rate"] for r in mine]


def test_list_filters_and_pages(client: TestClient, callers: dict[str, Caller]) -> None:
    headers = callers["seller_a"].headers
    _load(client, callers["seller_a"], ROWS)
    usd = client.get(URL, params={"base": "usd", "date_from": "2024-03-02"}, headers=headers)
    assert [r["rate"] for r in usd.json()["items"]] == ["7.105"]
    page = client.get(URL, params={"limit": 1, "offset": 1}, headers=headers).json()
    assert (page["total"], [r["base"] for r in page["items"]]) == (3, ["EUR"])
    quote = client.get(URL, params={"quote": "CNY", "date_to": "2024-03-01"}, headers=headers)
    assert quote.json()["total"] == 2
    bad = client.get(URL, params={"base": "ZZZ"}, headers=headers)
    assert bad.status_code == 422 and "ZZZ" in bad.json()["detail"]
    backwards = client.get(
        URL, params={"date_from": "2024-03-05", "date_to": "2024-03-01"}, headers=headers
    )
    assert backwards.status_code == 422


def test_batch_rejects_all_rows_with_every_row_error(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    headers = callers["seller_a"].headers
    rows = [
        ROWS[0],
        {"date": "2024-03-01", "base": "USD", "quote": "USD", "rate": "1"},
        {"date": "2024-03-02", "base": "USD", "quote": "CNY", "rate": "0"},
        {"date": "2024-03-03", "base": "USD", "quote": "CNY"},
    ]
    response = client.post(f"{URL}:batch", json={"rows": rows}, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "import_rejected"
    report = body["detail"]
    assert (report["rows_read"], report["accepted"], report["rejected"]) == (4, 1, 3)
    assert report["applied"] is False
    assert report["errors"] == [
        {
            "row": 2,
            "column": "quote",
            "reason": "quote equals base USD; a pair needs two currencies",
        },
        {"row": 3, "column": "rate", "reason": "rate 0 must be greater than zero"},
        {"row": 4, "column": "rate", "reason": "required value is missing"},
    ]
    assert client.get(URL, headers=headers).json()["total"] == 0


def test_batch_refuses_numbers_for_rates(client: TestClient, callers: dict[str, Caller]) -> None:
    rows = [ROWS[0] | {"rate": 7.1023}]
    response = client.post(f"{URL}:batch", json={"rows": rows}, headers=callers["seller_a"].headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "rows", 0, "rate"]


def test_file_import_with_partial(client: TestClient, callers: dict[str, Caller]) -> None:
    headers = callers["seller_a"].headers
    body = b"date,base,quote,rate,source\n2024-03-01,USD,CNY,7.1023,PBOC\n2024-03-01,USD,JPY,,x\n"
    files = {"file": ("rates.csv", body, "text/csv")}
    rejected = client.post(f"{URL}/import", files=files, headers=headers)
    assert rejected.status_code == 422
    assert rejected.json()["detail"]["errors"] == [
        {"row": 3, "column": "rate", "reason": "required value is missing"}
    ]
    partial = client.post(f"{URL}/import", params={"partial": True}, files=files, headers=headers)
    assert partial.status_code == 200, partial.text
    report = partial.json()
    assert (report["accepted"], report["rejected"], report["inserted"]) == (1, 1, 1)
    again = client.post(f"{URL}/import", params={"partial": True}, files=files, headers=headers)
    assert again.json()["unchanged"] == 1
    wrong = client.post(
        f"{URL}/import", files={"file": ("rates.json", b"{}", "application/json")}, headers=headers
    )
    assert wrong.status_code == 422 and wrong.json()["error"] == "invalid_file"


def test_convert_returns_decimal_strings_with_the_rate_used(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    headers = callers["seller_a"].headers
    jpy = {"date": "2024-03-01", "base": "USD", "quote": "JPY", "rate": "151.235"}
    _load(client, callers["seller_a"], [*ROWS, jpy])
    direct = client.get(
        f"{URL}/convert",
        params={"amount": "1234.56", "from": "USD", "to": "CNY", "on": "2024-03-06"},
        headers=headers,
    )
    assert direct.status_code == 200, direct.text
    # 1234.56 USD x 7.105 (2024-03-04) = 8771.5488 CNY -> 8771.55
    assert direct.json() == {
        "amount": "1234.56",
        "currency": "USD",
        "converted": "8771.55",
        "to_currency": "CNY",
        "rate": "7.105",
        "rate_date": "2024-03-04",
        "source": "PBOC",
        "inverted": False,
    }
    inverse = client.get(
        f"{URL}/convert",
        params={"amount": "15124", "from": "JPY", "to": "USD", "on": "2024-03-01"},
        headers=headers,
    ).json()
    # 1 / 151.235 = 0.006612226005884881...; 12 significant digits -> 0.00661222600588
    # 15124 JPY x 0.00661222600588 = 100.00330611293 USD -> 100.00
    assert (inverse["rate"], inverse["converted"], inverse["inverted"]) == (
        "0.00661222600588",
        "100.00",
        True,
    )


def test_convert_errors(client: TestClient, callers: dict[str, Caller]) -> None:
    headers = callers["seller_a"].headers
    _load(client, callers["seller_a"], ROWS)
    stale = client.get(
        f"{URL}/convert",
        params={"amount": "1", "from": "USD", "to": "CNY", "on": "2024-03-12"},
        headers=headers,
    )
    assert stale.status_code == 422
    assert stale.json()["error"] == "rate_missing"
    assert "2024-03-12" in stale.json()["detail"] and "USD/CNY" in stale.json()["detail"]
    older_ok = client.get(
        f"{URL}/convert",
        params={"amount": "1", "from": "USD", "to": "CNY", "on": "2024-03-12", "max_age_days": 8},
        headers=headers,
    )
    # 1.00 USD x 7.105 = 7.105 CNY = 710.5 fen -> half-even 710 (0 is even) -> "7.10"
    assert older_ok.json()["converted"] == "7.10"
    too_precise = client.get(
        f"{URL}/convert",
        params={"amount": "1.234", "from": "USD", "to": "CNY", "on": "2024-03-04"},
        headers=headers,
    )
    assert too_precise.status_code == 422
    assert too_precise.json()["error"] == "invalid_amount"
