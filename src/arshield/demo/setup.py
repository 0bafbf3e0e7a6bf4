"""Set up the demo platform: organisations and keys, generated buyers imported, grades run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.importing import ImportKind, import_buyers
from arshield.demo.cover import DemoCover, load_demo_cover
from arshield.demo.generate import DEFAULT_AS_OF, generate, write
from arshield.demo.ledger import generate_ledger, write_ledger
from arshield.fx.importing import import_rates
from arshield.kit.db import unit_of_work
from arshield.orgs import repository as orgs_repository
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import OrgKind, Role
from arshield.receivables.importing import ImportOptions, ReceivableKind, import_file
from arshield.risk import service as risk_service
from arshield.risk.backtest import Backtest, backtest
from arshield.risk.tables import service as tables_service

INSURER_REF = "INSURER"
SELLER_REF = "SELLER-HZ"
ORGS = (
    (INSURER_REF, "Demo Credit Insurance Co.", OrgKind.INSURER),
    (SELLER_REF, "杭州示范进出口有限公司 Hangzhou Demo Import & Export Co., Ltd.", OrgKind.SELLER),
)
KEYS = (
    (INSURER_REF, Role.ADMIN),
    (INSURER_REF, Role.ANALYST),
    (INSURER_REF, Role.UNDERWRITER),
    (SELLER_REF, Role.SELLER),
)
IMPORT_ORDER = (ImportKind.COMPANIES, ImportKind.FINANCIALS, ImportKind.PAYMENTS, ImportKind.EVENTS)


@dataclass(frozen=True, slots=True)
class DemoKey:
    org_ref: str
    role: Role
    secret: str


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the set-up did, and the keys to try the platform with."""

    data_dir: Path
    as_of: dt.date
    imported: dict[str, int]
    graded: int
    keys: tuple[DemoKey, ...]
    backtest: Backtest
    example_ref: str
    example_name: str
    example_city: str
    ledger: dict[str, int]
    cover: DemoCover


def setup_demo(
    factory: sessionmaker[Session],
    *,
    companies: int,
    seed: int,
    out_dir: Path,
    now: dt.datetime,
    as_of: dt.date = DEFAULT_AS_OF,
    on_step: Callable[[str], None] | None = None,
) -> DemoResult:
    """Generate and load the demo portfolio, grade it as of ``as_of`` and issue demo keys.

    Running it again changes nothing but the keys: imports are idempotent and the grading run of
    the same day is replaced.
    """
    step = on_step or (lambda _label: None)
    with unit_of_work(factory) as session:
        tables_service.load_defaults(session)
        for ref, name, org_kind in ORGS:
            if orgs_repository.get_org_by_ref(session, ref) is None:
                orgs_service.create_org(session, ref=ref, name=name, kind=org_kind)
    step("generating demo data")
    data = generate(companies=companies, seed=seed, as_of=as_of)
    write(data, out_dir)
    imported: dict[str, int] = {}
    for kind in IMPORT_ORDER:
        step(f"importing {kind.value}")
        with unit_of_work(factory) as session:
            report = import_buyers(
                session,
                kind=kind,
                path=out_dir / f"{kind.value}.csv",
                actor="demo setup",
                max_bytes=2**34,
                now=now,
            )
        imported[kind.value] = report.rows_read
    step("grading")
    with unit_of_work(factory) as session:
        summary = risk_service.run_grading(session, as_of=as_of, now=now)
    with unit_of_work(factory) as session:
        grades = risk_service.export_frame(session, as_of=as_of)
    result = backtest(
        grades, data.outcomes.with_columns(pl.col("defaulted_within_12m").cast(pl.Utf8))
    )
    step("loading the demo seller's receivables")
    ledger = _load_ledger(factory, data.companies, seed=seed, as_of=as_of, out_dir=out_dir, now=now)
    step("requesting cover on the ledger's buyers")
    cover = load_demo_cover(
        factory,
        insurer_ref=INSURER_REF,
        seller_ref=SELLER_REF,
        as_of=as_of,
        out_dir=out_dir,
        now=now,
    )
    keys = []
    with unit_of_work(factory) as session:
        for ref, role in KEYS:
            issued = orgs_service.create_api_key(session, org_ref=ref, role=role, label="demo")
            keys.append(DemoKey(org_ref=ref, role=role, secret=issued.secret))
    example = grades.filter(pl.col("grade") == 7).head(1)
    example_ref = str(example["company_ref"][0] if example.height else grades["company_ref"][0])
    chinese = data.companies.filter(pl.col("country") == "CN").head(1)
    example_name = str(chinese["name"][0]) if chinese.height else str(data.companies["name"][0])
    latin = str(chinese["name_latin"][0]) if chinese.height else "Shenzhen"
    return DemoResult(
        data_dir=out_dir,
        as_of=as_of,
        imported=imported,
        graded=summary.graded,
        keys=tuple(keys),
        backtest=result,
        example_ref=example_ref,
        example_name=example_name.removesuffix("有限公司"),
        example_city=latin.split()[0],
        ledger=ledger,
        cover=cover,
    )


def _load_ledger(
    factory: sessionmaker[Session],
    companies: pl.DataFrame,
    *,
    seed: int,
    as_of: dt.date,
    out_dir: Path,
    now: dt.datetime,
) -> dict[str, int]:
    """Import the demo seller's invoices, payments, credit notes and FX rates (idempotent)."""
    paths = write_ledger(generate_ledger(companies, seed=seed, as_of=as_of), out_dir)
    counts: dict[str, int] = {}
    with unit_of_work(factory) as session:
        org_id = orgs_service.get_org_by_ref(session, SELLER_REF).id
        import_rates(session, org_id=org_id, path=paths["fx-rates"], max_bytes=2**30, now=now)
    for kind in (ReceivableKind.INVOICES, ReceivableKind.PAYMENTS, ReceivableKind.CREDIT_NOTES):
        with unit_of_work(factory) as session:
            report = import_file(
                session,
                org_id=org_id,
                kind=kind,
                path=paths[kind.value],
                options=ImportOptions(),
                actor="demo setup",
                max_bytes=2**30,
                now=now,
            )
        counts[kind.value] = report.rows_read
    return counts
