"""The demo city (names from the Changchun report) with fixed ids, for loaders and the issuer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

NAMESPACE = uuid.UUID("6f1c2a52-5d0e-4c1f-9a57-3b8f0c1e2d40")


def demo_id(kind: str, name: str) -> uuid.UUID:
    """A stable id for a demo object, the same on every machine and every run."""
    return uuid.uuid5(NAMESPACE, f"{kind}:{name}")


@dataclass(frozen=True)
class DemoRegion:
    name: str
    kind: str
    parent: str | None
    district_class: str | None = None
    code: str | None = None

    @property
    def id(self) -> uuid.UUID:
        return demo_id("region", self.name)


@dataclass(frozen=True)
class DemoOrganization:
    name: str
    kind: str
    region: str
    parent: str | None
    subkind: str | None = None
    formation: str = "single"
    joint_mode: str | None = None
    industry_line: str | None = None

    @property
    def id(self) -> uuid.UUID:
        return demo_id("organization", self.name)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    roles: tuple[str, ...]
    name: str
    region: str | None = None
    organization: str | None = None
    member: bool = False

    @property
    def member_id(self) -> uuid.UUID | None:
        return demo_id("member", self.username) if self.member else None


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    roles: tuple[str, ...]
    places: tuple[str, ...] = field(default=())


CITY = "长春市"

REGIONS: tuple[DemoRegion, ...] = (
    DemoRegion(CITY, "city", None, code="220100"),
    DemoRegion("南关区", "district", CITY, "urban", "220102"),
    DemoRegion("宽城区", "district", CITY, "urban", "220103"),
    DemoRegion("朝阳区", "district", CITY, "urban", "220104"),
    DemoRegion("二道区", "district", CITY, "urban", "220105"),
    DemoRegion("绿园区", "district", CITY, "urban", "220106"),
    DemoRegion("长春新区", "new_area", CITY, "urban"),
    DemoRegion("农安县", "county", CITY, "county", "220122"),
    DemoRegion("榆树市", "county", CITY, "county", "220182"),
    DemoRegion("德惠市", "county", CITY, "county", "220183"),
    DemoRegion("南岭街道", "sub_district", "南关区"),
    DemoRegion("东盛街道", "sub_district", "二道区"),
    DemoRegion("重庆街道", "sub_district", "朝阳区"),
    DemoRegion("团山街道", "sub_district", "宽城区"),
)

CITY_COMMITTEE = "长春市非公有制经济组织和社会组织党工委"
DEMO_BRANCH = "盈科律师事务所党支部"

_DISTRICT_COMMITTEES = tuple(
    DemoOrganization(
        f"{district}非公有制经济组织和社会组织党工委",
        "working_committee",
        district,
        CITY_COMMITTEE,
        subkind="district",
    )
    for district in ("南关区", "宽城区", "朝阳区", "二道区", "绿园区", "长春新区")
)


def _district_committee(district: str) -> str:
    return f"{district}非公有制经济组织和社会组织党工委"


_INDUSTRIES = (
    "律师行业党委",
    "注册会计师行业党委",
    "民办教育行业党委",
    "民营医疗机构行业党委",
    "物流行业党委",
    "商贸流通行业党委",
    "建筑业行业党委",
    "物业服务行业党委",
)

ORGANIZATIONS: tuple[DemoOrganization, ...] = (
    DemoOrganization(CITY_COMMITTEE, "working_committee", CITY, None, subkind="city"),
    *_DISTRICT_COMMITTEES,
    *(
        DemoOrganization(name, "party_committee", CITY, CITY_COMMITTEE, subkind="industry")
        for name in _INDUSTRIES
    ),
    DemoOrganization(
        "高新文化创意园党委",
        "party_committee",
        "朝阳区",
        _district_committee("朝阳区"),
        subkind="park",
    ),
    DemoOrganization(
        "北湖科技园党委",
        "party_committee",
        "长春新区",
        _district_committee("长春新区"),
        subkind="park",
    ),
    DemoOrganization(
        "同心港综合党委",
        "party_committee",
        "二道区",
        _district_committee("二道区"),
        subkind="comprehensive",
    ),
    DemoOrganization(
        "星火源综合党委",
        "party_committee",
        "南关区",
        _district_committee("南关区"),
        subkind="comprehensive",
    ),
    DemoOrganization(
        "红帆综合党委",
        "party_committee",
        "宽城区",
        _district_committee("宽城区"),
        subkind="comprehensive",
    ),
    DemoOrganization(
        DEMO_BRANCH, "branch", "南关区", "星火源综合党委", industry_line="律师行业党委"
    ),
    DemoOrganization(
        "瑞华会计师事务所党支部",
        "branch",
        "朝阳区",
        _district_committee("朝阳区"),
        industry_line="注册会计师行业党委",
    ),
    DemoOrganization(
        "延安医院党支部",
        "branch",
        "朝阳区",
        _district_committee("朝阳区"),
        industry_line="民营医疗机构行业党委",
    ),
    DemoOrganization(
        "汇通驾校党支部",
        "branch",
        "二道区",
        "同心港综合党委",
    ),
    DemoOrganization(
        "重庆路东商圈联合党支部",
        "branch",
        "朝阳区",
        _district_committee("朝阳区"),
        formation="joint",
        joint_mode="area",
    ),
    DemoOrganization(
        "中天大厦楼宇联合党支部",
        "branch",
        "朝阳区",
        _district_committee("朝阳区"),
        formation="joint",
        joint_mode="area",
    ),
    DemoOrganization(
        "红旗商圈功能型党支部",
        "branch",
        "朝阳区",
        _district_committee("朝阳区"),
        formation="dispatched",
    ),
)

ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin.city", ("city_admin",), "市非公党工委管理员", region=CITY),
    DemoAccount("admin.nanguan", ("district_admin",), "南关区非公党工委管理员", region="南关区"),
    DemoAccount("admin.erdao", ("district_admin",), "二道区非公党工委管理员", region="二道区"),
    DemoAccount("secretary.demo", ("secretary",), "盈科律所支部书记", organization=DEMO_BRANCH),
    DemoAccount("member.demo", ("member",), "盈科律所党员", organization=DEMO_BRANCH, member=True),
)

CLIENTS: tuple[DemoClient, ...] = (
    DemoClient("finance-bureau", ("finance_bureau",)),
    DemoClient("sync-demo", ("sync_client",), places=("高新文化创意园", "中天大厦")),
)

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented password of the local demo accounts


def region_id(name: str) -> uuid.UUID:
    return demo_id("region", name)


def organization_id(name: str) -> uuid.UUID:
    return demo_id("organization", name)
