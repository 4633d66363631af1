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
    full_members: int | None = None
    dispatched_members: int | None = None
    serves: str | None = None  # a functional branch: the work target it is sent to

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
        DEMO_BRANCH,
        "branch",
        "南关区",
        "星火源综合党委",
        industry_line="律师行业党委",
        full_members=9,
    ),
    DemoOrganization(
        "瑞华会计师事务所党支部",
        "branch",
        "朝阳区",
        _district_committee("朝阳区"),
        industry_line="注册会计师行业党委",
        full_members=4,
    ),
    DemoOrganization(
        "延安医院党支部",
        "branch",
        "朝阳区",
        _district_committee("朝阳区"),
        industry_line="民营医疗机构行业党委",
        full_members=12,
    ),
    DemoOrganization(
        "汇通驾校党支部",
        "branch",
        "二道区",
        "同心港综合党委",
        full_members=5,
    ),
    DemoOrganization(
        "重庆路东商圈联合党支部",
        "branch",
        "朝阳区",
        _district_committee("朝阳区"),
        formation="joint",
        joint_mode="area",
        full_members=4,
    ),
    DemoOrganization(
        "中天大厦楼宇联合党支部",
        "branch",
        "朝阳区",
        _district_committee("朝阳区"),
        formation="joint",
        joint_mode="area",
        full_members=3,
    ),
    DemoOrganization(
        "红旗商圈功能型党支部",
        "branch",
        "朝阳区",
        _district_committee("朝阳区"),
        formation="dispatched",
        dispatched_members=3,
        serves="红旗商圈火锅店",
    ),
)

# Every demo organization was founded before the coverage it gives (the report is of 2018).
FOUNDED_ON = "2017-06-01"


@dataclass(frozen=True)
class DemoPlace:
    name: str
    kind: str  # park, business_district, market, building
    region: str
    level: str | None = None
    parent: str | None = None

    @property
    def id(self) -> uuid.UUID:
        return demo_id("place", self.name)


@dataclass(frozen=True)
class DemoWorkTarget:
    name: str
    credit_code: str
    kind: str
    industry: str
    region: str
    registered_on: str
    party_members: int = 0
    place: str | None = None
    covered_by: str | None = None  # organization name
    mode: str | None = None  # own, joint, dispatched
    since: str | None = None
    instructor: str | None = None  # work coverage: who is assigned

    @property
    def id(self) -> uuid.UUID:
        return demo_id("work_target", self.name)


@dataclass(frozen=True)
class DemoVenue:
    name: str
    kind: str  # guidance_center, activity_center
    region: str
    area_m2: float
    run_by: str | None = None
    place: str | None = None

    @property
    def id(self) -> uuid.UUID:
        return demo_id("venue", self.name)


PLACES: tuple[DemoPlace, ...] = (
    DemoPlace("高新文化创意园", "park", "朝阳区", level="provincial"),
    DemoPlace("北湖科技园", "park", "长春新区", level="provincial"),
    DemoPlace("重庆路东商圈", "business_district", "朝阳区"),
    DemoPlace("红旗商圈", "business_district", "朝阳区"),
    DemoPlace("光复路商圈", "business_district", "宽城区"),
    DemoPlace("中天大厦", "building", "朝阳区", parent="重庆路东商圈"),
    DemoPlace("朝阳双创基地", "building", "朝阳区"),
)

# Credit codes are valid GB 32100-2015 codes made up for the demo.
WORK_TARGETS: tuple[DemoWorkTarget, ...] = (
    DemoWorkTarget(
        "汇通驾校",
        "91220105MA00170004",
        "enterprise",
        "other",
        "二道区",
        "2009-04-01",
        5,
        covered_by="汇通驾校党支部",
        mode="own",
        since="2018-03-01",
    ),
    DemoWorkTarget(
        "盈科律师事务所",
        "31220102MA0017037P",
        "social_organization",
        "law",
        "南关区",
        "2012-09-01",
        9,
        covered_by=DEMO_BRANCH,
        mode="own",
        since="2018-01-15",
    ),
    DemoWorkTarget(
        "瑞华会计师事务所",
        "31220104MA0017074F",
        "social_organization",
        "accounting",
        "朝阳区",
        "2011-03-01",
        4,
        covered_by="瑞华会计师事务所党支部",
        mode="own",
        since="2018-04-01",
    ),
    DemoWorkTarget(
        "延安医院",
        "52220104MA0017111G",
        "social_organization",
        "private_hospital",
        "朝阳区",
        "2005-01-01",
        12,
        covered_by="延安医院党支部",
        mode="own",
        since="2018-05-01",
    ),
    DemoWorkTarget(
        "中天大厦甲科技公司",
        "91220104MA00171488",
        "enterprise",
        "internet",
        "朝阳区",
        "2015-06-01",
        1,
        place="中天大厦",
        covered_by="中天大厦楼宇联合党支部",
        mode="joint",
        since="2018-06-01",
    ),
    DemoWorkTarget(
        "中天大厦乙传媒公司",
        "91220104MA00171853",
        "enterprise",
        "other",
        "朝阳区",
        "2016-02-01",
        2,
        place="中天大厦",
        covered_by="中天大厦楼宇联合党支部",
        mode="joint",
        since="2018-06-01",
    ),
    DemoWorkTarget(
        "重庆路东商圈百货公司",
        "91220104MA00172229",
        "enterprise",
        "retail",
        "朝阳区",
        "2008-01-01",
        2,
        place="重庆路东商圈",
        covered_by="重庆路东商圈联合党支部",
        mode="joint",
        since="2018-06-01",
    ),
    DemoWorkTarget(
        "重庆路东商圈餐饮公司",
        "91220104MA00172592",
        "enterprise",
        "retail",
        "朝阳区",
        "2014-05-01",
        2,
        place="重庆路东商圈",
        covered_by="重庆路东商圈联合党支部",
        mode="joint",
        since="2018-06-01",
    ),
    DemoWorkTarget(
        "红旗商圈火锅店",
        "92220104MA0017296R",
        "enterprise",
        "retail",
        "朝阳区",
        "2016-08-01",
        0,
        place="红旗商圈",
        covered_by="红旗商圈功能型党支部",
        mode="dispatched",
        since="2018-07-01",
    ),
    DemoWorkTarget(
        "高新文化创意园动漫公司",
        "91220104MA00173333",
        "enterprise",
        "internet",
        "朝阳区",
        "2017-01-01",
        0,
        place="高新文化创意园",
        instructor="张指导员",
    ),
    DemoWorkTarget(
        "高新文化创意园设计公司",
        "91220104MA0017370X",
        "enterprise",
        "other",
        "朝阳区",
        "2017-09-01",
        0,
        place="高新文化创意园",
    ),
    DemoWorkTarget(
        "北湖科技园软件公司",
        "91220171MA00174073",
        "enterprise",
        "internet",
        "长春新区",
        "2016-11-01",
        0,
        place="北湖科技园",
    ),
    DemoWorkTarget(
        "北湖科技园生物公司",
        "91220171MA0017444X",
        "enterprise",
        "other",
        "长春新区",
        "2017-03-01",
        0,
        place="北湖科技园",
        instructor="李联络员",
    ),
    DemoWorkTarget(
        "光复路商圈服装批发公司",
        "91220103MA00174819",
        "enterprise",
        "retail",
        "宽城区",
        "2010-10-01",
        0,
        place="光复路商圈",
    ),
    DemoWorkTarget(
        "红帆物流公司", "91220103MA0017518D", "enterprise", "logistics", "宽城区", "2013-04-01", 0
    ),
)

VENUES: tuple[DemoVenue, ...] = (
    DemoVenue(
        "星火源党建服务中心(老书记工作室)",
        "guidance_center",
        "南关区",
        1200,
        run_by="星火源综合党委",
    ),
    DemoVenue("同心港党建指导中心", "guidance_center", "二道区", 1050, run_by="同心港综合党委"),
    DemoVenue("红帆党群活动中心", "activity_center", "宽城区", 600, run_by="红帆综合党委"),
    DemoVenue("重庆路东商圈党群活动中心", "activity_center", "朝阳区", 400, place="重庆路东商圈"),
    DemoVenue("中天大厦党群活动中心", "activity_center", "朝阳区", 300, place="中天大厦"),
)

ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin.city", ("city_admin",), "市非公党工委管理员", region=CITY),
    DemoAccount("admin.nanguan", ("district_admin",), "南关区非公党工委管理员", region="南关区"),
    DemoAccount("admin.erdao", ("district_admin",), "二道区非公党工委管理员", region="二道区"),
    DemoAccount(
        "secretary.demo", ("secretary",), "盈科律所支部书记", organization=DEMO_BRANCH, member=True
    ),
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


def place_id(name: str) -> uuid.UUID:
    return demo_id("place", name)


def work_target_id(name: str) -> uuid.UUID:
    return demo_id("work_target", name)
