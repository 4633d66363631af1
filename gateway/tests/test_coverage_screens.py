"""The district coverage dashboard through the gateway, on the demo city."""

from __future__ import annotations

import demo_data

from .conftest import GatewayStack


async def test_dashboard_in_one_request_with_region_coverage_batched(
    gateway_stack: GatewayStack,
) -> None:
    token = await gateway_stack.token("admin.city")
    city = str(demo_data.region_id(demo_data.CITY))
    routes = ("/organizations", "/regions", "/coverage", "/coverage/regions", "/work-targets")
    before = await gateway_stack.org_requests(routes)
    body = await gateway_stack.graphql(
        """query($city: ID!) {
             coverage { total { targets organizational work uncovered totalRate }
                        groups { key name targets organizational work } }
             regions(parentId: $city, first: 50) { nodes { id name coverage { targets
                        organizational work } } }
             workTargets(uncoveredOnly: true, first: 50) { nodes { name coverage { state } } }
           }""",
        token,
        {"city": city},
    )
    after = await gateway_stack.org_requests(routes)
    assert body.get("errors") is None, body
    data = body["data"]
    total = data["coverage"]["total"]  # type: ignore[index]
    assert total["targets"] == len(demo_data.WORK_TARGETS)
    covered = [t for t in demo_data.WORK_TARGETS if t.covered_by]
    assert total["organizational"] == len(covered)
    assert total["work"] == len([t for t in demo_data.WORK_TARGETS if t.instructor])
    by_region = {g["key"]: g for g in data["coverage"]["groups"]}  # type: ignore[index]
    for region in data["regions"]["nodes"]:  # type: ignore[index]
        group = by_region.get(region["id"])
        figures = region["coverage"]
        if group is None:
            assert figures["targets"] == 0
        else:
            assert (figures["targets"], figures["organizational"], figures["work"]) == (
                group["targets"],
                group["organizational"],
                group["work"],
            )
    uncovered = {n["name"] for n in data["workTargets"]["nodes"]}  # type: ignore[index]
    assert uncovered == {
        t.name for t in demo_data.WORK_TARGETS if not t.covered_by and not t.instructor
    } | {t.name for t in demo_data.WORK_TARGETS if t.instructor}
    # one call per field: coverage, the regions list, one coverage batch for all its
    # regions, the work-target list
    assert after - before == 4


async def test_organization_lists_the_targets_it_covers(gateway_stack: GatewayStack) -> None:
    token = await gateway_stack.token("admin.city")
    body = await gateway_stack.graphql(
        """query($id: ID!) { organization(id: $id) { workTargets { nodes {
             name coverage { mode organization { name } } coveringOrganization { name }
           } } } }""",
        token,
        {"id": str(demo_data.organization_id("中天大厦楼宇联合党支部"))},
    )
    nodes = body["data"]["organization"]["workTargets"]["nodes"]  # type: ignore[index]
    assert {n["name"] for n in nodes} == {"中天大厦甲科技公司", "中天大厦乙传媒公司"}
    assert {n["coverage"]["mode"] for n in nodes} == {"joint"}
    assert {n["coverage"]["organization"]["name"] for n in nodes} == {"中天大厦楼宇联合党支部"}
    assert {n["coveringOrganization"]["name"] for n in nodes} == {"中天大厦楼宇联合党支部"}
