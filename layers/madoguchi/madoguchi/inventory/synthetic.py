"""Synthetic, seeded inventory and application data for development and tests.

``generate_inventory`` reproduces the totals of the prefecture's survey of
administrative procedures (行政手続実態調査, 18 September to 6 November 2020)
exactly, whatever the seed:

* 5,264 procedures,
* 4,234 of them needed a seal,
* of those, 2,901 the prefecture can abolish itself and 1,333 need a law change.

Everything else (department, names, legal basis, online progress and dates,
fees, volumes) is invented but plausible, and the same seed always gives the
same inventory. No record describes a real procedure except the three that run
on madoguchi, which keep their definition ids.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from madoguchi.inventory.models import (
    LegalBasis,
    OnlineStatus,
    Procedure,
    SealReviewAuthority,
    SealStatus,
)
from madoguchi.inventory.usage import JAPAN_STANDARD_TIME

SURVEY_TOTAL = 5_264
SURVEY_SEAL_REQUIRED = 4_234
SURVEY_SEAL_PREFECTURE = 2_901
SURVEY_SEAL_LAW_CHANGE = SURVEY_SEAL_REQUIRED - SURVEY_SEAL_PREFECTURE  # 1,333

DEFAULT_SEED = 20201106  # last day of the survey


class _Subject(NamedTuple):
    name: str
    legal_basis: LegalBasis


_L = LegalBasis.LAW
_O = LegalBasis.ORDINANCE

# Department → (relative share of procedures, subjects of its procedures).
_DEPARTMENTS: dict[str, tuple[int, tuple[_Subject, ...]]] = {
    "総務部": (
        6,
        (
            _Subject("宗教法人規則", _L),
            _Subject("私立学校設置", _L),
            _Subject("公益法人", _L),
            _Subject("県税減免", _O),
            _Subject("行政財産使用", _O),
            _Subject("情報公開", _O),
            _Subject("個人情報開示", _O),
            _Subject("県有施設使用", _O),
        ),
    ),
    "企画部": (
        4,
        (
            _Subject("土地取引", _L),
            _Subject("国土利用計画法事後", _L),
            _Subject("地域振興補助金", _O),
            _Subject("移住支援金", _O),
            _Subject("統計調査員", _O),
        ),
    ),
    "県民生活部": (
        8,
        (
            _Subject("特定非営利活動法人", _L),
            _Subject("消費生活相談", _O),
            _Subject("旅券", _L),
            _Subject("交通安全協力", _O),
            _Subject("男女共同参画推進", _O),
            _Subject("文化振興補助金", _O),
            _Subject("計量器", _L),
            _Subject("青少年健全育成", _O),
        ),
    ),
    "環境森林部": (
        12,
        (
            _Subject("産業廃棄物処理業", _L),
            _Subject("浄化槽", _L),
            _Subject("林地開発", _L),
            _Subject("保安林内作業", _L),
            _Subject("狩猟者登録", _L),
            _Subject("鳥獣捕獲", _L),
            _Subject("公害防止", _O),
            _Subject("自然公園内行為", _L),
            _Subject("温泉掘削", _L),
            _Subject("森林整備補助金", _O),
            _Subject("環境保全協定", _O),
            _Subject("土砂等埋立て", _O),
        ),
    ),
    "保健福祉部": (
        20,
        (
            _Subject("飲食店営業", _L),
            _Subject("薬局開設", _L),
            _Subject("医療法人", _L),
            _Subject("介護サービス事業者", _L),
            _Subject("障害福祉サービス事業者", _L),
            _Subject("旅館業", _L),
            _Subject("理容所", _L),
            _Subject("特定給食施設", _L),
            _Subject("保育所運営費補助金", _O),
            _Subject("難病医療費助成", _L),
            _Subject("子ども医療費助成", _O),
            _Subject("献血推進", _O),
            _Subject("動物取扱業", _L),
        ),
    ),
    "産業労働観光部": (
        10,
        (
            _Subject("中小企業設備導入補助金", _O),
            _Subject("制度融資", _O),
            _Subject("職業訓練", _L),
            _Subject("火薬類取扱", _L),
            _Subject("高圧ガス製造", _L),
            _Subject("電気工事業", _L),
            _Subject("観光振興補助金", _O),
            _Subject("技能検定", _L),
            _Subject("商店街活性化補助金", _O),
        ),
    ),
    "農政部": (
        12,
        (
            _Subject("農地転用", _L),
            _Subject("農業経営基盤強化", _L),
            _Subject("家畜伝染病予防", _L),
            _Subject("農薬販売", _L),
            _Subject("肥料販売", _L),
            _Subject("農業振興補助金", _O),
            _Subject("土地改良事業", _L),
            _Subject("新規就農支援", _O),
            _Subject("食品表示", _L),
        ),
    ),
    "県土整備部": (
        14,
        (
            _Subject("建設業", _L),
            _Subject("宅地建物取引業", _L),
            _Subject("道路占用", _L),
            _Subject("河川占用", _L),
            _Subject("砂利採取", _L),
            _Subject("屋外広告物", _O),
            _Subject("開発行為", _L),
            _Subject("建築確認", _L),
            _Subject("県営住宅入居", _O),
            _Subject("港湾施設使用", _O),
            _Subject("砂防指定地内行為", _O),
        ),
    ),
    "会計局": (
        2,
        (
            _Subject("物品購入入札参加資格", _O),
            _Subject("口座振替", _O),
            _Subject("契約保証金", _O),
        ),
    ),
    "企業局": (
        3,
        (
            _Subject("工業用水道使用", _O),
            _Subject("電気事業", _O),
            _Subject("水道料金", _O),
        ),
    ),
    "教育委員会事務局": (
        9,
        (
            _Subject("教員免許状", _L),
            _Subject("就学支援金", _L),
            _Subject("文化財現状変更", _L),
            _Subject("奨学金", _O),
            _Subject("県立学校施設使用", _O),
            _Subject("社会教育団体補助金", _O),
        ),
    ),
}

_ACTIONS_BY_BASIS: dict[LegalBasis, tuple[str, ...]] = {
    _L: (
        "許可申請",
        "変更許可申請",
        "届出",
        "変更届",
        "廃止届",
        "更新申請",
        "承継届",
        "登録申請",
        "再交付申請",
        "報告",
        "認可申請",
        "証明書交付申請",
    ),
    _O: (
        "交付申請",
        "変更承認申請",
        "実績報告",
        "請求",
        "届出",
        "変更届",
        "使用許可申請",
        "減免申請",
        "承認申請",
        "登録申請",
        "辞退届",
        "概算払請求",
    ),
}

_FEES_YEN = (400, 700, 1_000, 2_200, 3_300, 5_200, 9_000, 33_000, 90_000)


class _Linked(NamedTuple):
    definition_id: str
    name: str
    department: str
    fee_yen: int | None
    annual_volume: int
    online_since: date


# The procedures that run on madoguchi. All three are law-based and their seals
# waited for the national law changes of 2021.
_MADOGUCHI_PROCEDURES = (
    _Linked("cook-licence", "調理師免許申請", "保健福祉部", 5_600, 820, date(2022, 10, 3)),
    _Linked(
        "cook-employment-notification",
        "調理師業務従事者届",
        "保健福祉部",
        None,
        4_300,
        date(2022, 10, 3),
    ),
    _Linked("hunting-licence-exam", "狩猟免許試験申請", "環境森林部", 5_200, 610, date(2023, 4, 3)),
)


def generate_inventory(seed: int = DEFAULT_SEED) -> list[Procedure]:
    """Generate a survey-sized inventory that matches the survey's seal totals exactly.

    The same seed always returns the same procedures, in department order.
    """
    rng = random.Random(seed)
    seal_classes: list[SealReviewAuthority | None] = (
        [SealReviewAuthority.PREFECTURE] * SURVEY_SEAL_PREFECTURE
        + [SealReviewAuthority.LAW_CHANGE] * (SURVEY_SEAL_LAW_CHANGE - len(_MADOGUCHI_PROCEDURES))
        + [None] * (SURVEY_TOTAL - SURVEY_SEAL_REQUIRED)
    )
    rng.shuffle(seal_classes)

    drafts: list[dict] = [_linked_draft(linked) for linked in _MADOGUCHI_PROCEDURES]
    drafts.extend(_random_draft(rng, authority) for authority in seal_classes)

    department_order = list(_DEPARTMENTS)
    drafts.sort(key=lambda draft: department_order.index(draft["department"]))
    return [
        Procedure(procedure_id=f"PR-{index:05d}", **draft)
        for index, draft in enumerate(drafts, start=1)
    ]


def _linked_draft(linked: _Linked) -> dict:
    return {
        "name": linked.name,
        "department": linked.department,
        "legal_basis": LegalBasis.LAW,
        "seal_status": SealStatus.ABOLISHED,
        "seal_review_authority": SealReviewAuthority.LAW_CHANGE,
        "seal_abolished_on": date(2021, 9, 1),
        "online_status": OnlineStatus.ONLINE,
        "online_since": linked.online_since,
        "fee_yen": linked.fee_yen,
        "annual_volume": linked.annual_volume,
        "definition_id": linked.definition_id,
    }


def _random_draft(rng: random.Random, authority: SealReviewAuthority | None) -> dict:
    # A seal awaiting a law change sits on a law-based procedure. A seal the
    # prefecture can drop is mostly on its own ordinance-based procedures.
    if authority is SealReviewAuthority.LAW_CHANGE:
        legal_basis = _L
    elif authority is SealReviewAuthority.PREFECTURE:
        legal_basis = _O if rng.random() < 0.7 else _L
    else:
        legal_basis = _O if rng.random() < 0.6 else _L

    department, subject = _pick_subject(rng, legal_basis)
    draft: dict = {
        "name": subject.name + rng.choice(_ACTIONS_BY_BASIS[legal_basis]),
        "department": department,
        "legal_basis": legal_basis,
        "fee_yen": rng.choice(_FEES_YEN) if rng.random() < 0.25 else None,
        "annual_volume": min(int(rng.lognormvariate(3.0, 1.8)), 500_000),
    }
    draft.update(_seal_fields(rng, authority))
    draft.update(_online_fields(rng, legal_basis))
    return draft


def _pick_subject(rng: random.Random, legal_basis: LegalBasis) -> tuple[str, _Subject]:
    departments = list(_DEPARTMENTS)
    weights = [_DEPARTMENTS[name][0] for name in departments]
    while True:
        department = rng.choices(departments, weights)[0]
        subjects = [s for s in _DEPARTMENTS[department][1] if s.legal_basis is legal_basis]
        if subjects:
            return department, rng.choice(subjects)


def _seal_fields(rng: random.Random, authority: SealReviewAuthority | None) -> dict:
    if authority is None:
        return {"seal_status": SealStatus.NONE, "seal_review_authority": None}

    if authority is SealReviewAuthority.PREFECTURE:
        # Most seals went at the prefecture's review on 1 April 2021, a few before,
        # and about 4% are still required.
        if rng.random() < 0.04:
            return {"seal_status": SealStatus.REQUIRED, "seal_review_authority": authority}
        abolished_on = rng.choice(
            (
                date(2021, 1, 1),
                date(2021, 4, 1),
                date(2021, 4, 1),
                date(2021, 4, 1),
                date(2021, 7, 1),
            )
        )
    else:
        # National law changes took effect in steps; about a quarter still wait.
        if rng.random() < 0.25:
            return {
                "seal_status": SealStatus.REQUIRES_LAW_CHANGE,
                "seal_review_authority": authority,
            }
        abolished_on = rng.choice(
            (date(2021, 1, 1), date(2021, 9, 1), date(2021, 9, 1), date(2022, 4, 1))
        )
    return {
        "seal_status": SealStatus.ABOLISHED,
        "seal_review_authority": authority,
        "seal_abolished_on": abolished_on,
    }


def _online_fields(rng: random.Random, legal_basis: LegalBasis) -> dict:
    # Ordinance-based procedures are the plan's focus, so most of them are online.
    if legal_basis is _O:
        statuses, weights = (
            (
                OnlineStatus.ONLINE,
                OnlineStatus.PLANNED,
                OnlineStatus.NOT_STARTED,
                OnlineStatus.UNSUITABLE,
                OnlineStatus.NOT_COST_EFFECTIVE,
            ),
            (85, 3, 2, 4, 6),
        )
    else:
        statuses, weights = (
            (
                OnlineStatus.ONLINE,
                OnlineStatus.PLANNED,
                OnlineStatus.NOT_STARTED,
                OnlineStatus.UNSUITABLE,
                OnlineStatus.NOT_COST_EFFECTIVE,
            ),
            (55, 15, 15, 7, 8),
        )
    status = rng.choices(statuses, weights)[0]

    if status is OnlineStatus.ONLINE:
        return {"online_status": status, "online_since": _online_start(rng)}
    if status is OnlineStatus.PLANNED:
        return {
            "online_status": status,
            "target_fiscal_year": rng.choice((2023, 2024, 2025)),
            "plan_step": rng.randint(1, 3),
        }
    return {"online_status": status}


def _online_start(rng: random.Random) -> date:
    # About a quarter went online in fiscal 2020, two thirds in fiscal 2021 and the
    # rest in fiscal 2022, so the rate climbs over the plan's two target dates.
    draw = rng.random()
    if draw < 0.25:
        first, last = date(2020, 10, 1), date(2021, 3, 31)
    elif draw < 0.90:
        first, last = date(2021, 4, 1), date(2022, 3, 31)
    else:
        first, last = date(2022, 4, 1), date(2023, 3, 31)
    return first + timedelta(days=rng.randint(0, (last - first).days))


# --- application summaries ---------------------------------------------------------------------

_PAYMENT_METHODS = ("credit_card", "pay_easy", "convenience_store", "cash")


def generate_application_summaries(
    seed: int = DEFAULT_SEED, first_month: date = date(2023, 4, 1), months: int = 12
) -> list[dict]:
    """Generate application summaries for the madoguchi procedures as plain dicts.

    The dicts have the fields of ``ApplicationSummary`` with timezone-aware
    datetimes. Monthly volumes are small enough that some months fall under the
    open-data suppression threshold.
    """
    rng = random.Random(seed)

    # Mean applications per month: the hunting exam is seasonal and small.
    monthly_mean = {
        "cook-licence": 25,
        "cook-employment-notification": 60,
        "hunting-licence-exam": 6,
    }
    fees = {linked.definition_id: linked.fee_yen for linked in _MADOGUCHI_PROCEDURES}

    summaries: list[dict] = []
    for offset in range(months):
        year = first_month.year + (first_month.month - 1 + offset) // 12
        month = (first_month.month - 1 + offset) % 12 + 1
        for procedure_id, mean in monthly_mean.items():
            for _ in range(max(0, int(rng.gauss(mean, mean / 3)))):
                day = rng.randint(1, 28)
                submitted_at = datetime.combine(
                    date(year, month, day),
                    time(rng.randint(8, 21), rng.randint(0, 59)),
                    JAPAN_STANDARD_TIME,
                )
                completed = rng.random() < 0.9
                channel = "online" if rng.random() < 0.8 else "counter"
                summaries.append(
                    {
                        "procedure_id": procedure_id,
                        "submitted_at": submitted_at,
                        "status": "completed" if completed else "in_review",
                        "completed_at": submitted_at + timedelta(days=rng.uniform(0.2, 20))
                        if completed
                        else None,
                        "channel": channel,
                        "payment_method": _pick_payment_method(rng, channel)
                        if fees[procedure_id]
                        else None,
                    }
                )
    return summaries


def _pick_payment_method(rng: random.Random, channel: str) -> str:
    # Cash is taken only at the counter.
    methods = _PAYMENT_METHODS if channel != "online" else _PAYMENT_METHODS[:3]
    return rng.choice(methods)
