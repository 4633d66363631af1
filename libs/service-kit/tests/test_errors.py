"""Every error, the kit's and FastAPI's, in one shape: {"error": {code, message, details}}."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from service_kit.errors import NotFound, Unprocessable, naming_item

from .kitapp import SECRET_TEXT


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


class TestAppErrors:
    async def test_app_error_subclass_renders_its_status_code_and_details(
        self, probe: httpx.AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await probe.post("/probes", json={"name": "x", "fail": True}, headers=writer)
        assert response.status_code == 409
        error = error_of(response)
        assert error["code"] == "probe_refused"
        assert error["message"] == "The probe refuses this write."
        assert error["details"] == {"name": "x"}

    async def test_not_found_app_error_keeps_its_details(
        self, probe: httpx.AsyncClient, reader: dict[str, str]
    ) -> None:
        missing = uuid.uuid4()
        response = await probe.get(f"/probes/{missing}", headers=reader)
        assert response.status_code == 404
        error = error_of(response)
        assert error["code"] == "not_found"
        assert error["details"] == {"id": str(missing)}


class TestValidationErrors:
    async def test_invalid_field_is_422_validation_error_with_location(
        self, probe: httpx.AsyncClient
    ) -> None:
        response = await probe.post("/counted", json={"count": "many", "tags": ["a"]})
        assert response.status_code == 422
        error = error_of(response)
        assert error["code"] == "validation_error"
        assert "count" in error["message"]
        assert [d["loc"] for d in error["details"]] == [["body", "count"]]
        assert error["details"][0]["type"] == "int_parsing"

    async def test_validator_may_name_its_own_error_code(self, probe: httpx.AsyncClient) -> None:
        response = await probe.post("/counted", json={"count": 1.5})
        assert response.status_code == 422
        error = error_of(response)
        assert error["code"] == "fractional_count"
        assert error["details"][0]["type"] == "fractional_count"
        assert (await probe.post("/counted", json={"count": 2.0})).status_code == 200

    async def test_missing_body_is_422_validation_error(self, probe: httpx.AsyncClient) -> None:
        response = await probe.post("/counted")
        assert response.status_code == 422
        assert error_of(response)["code"] == "validation_error"

    async def test_invalid_path_parameter_is_422_validation_error(
        self, probe: httpx.AsyncClient, reader: dict[str, str]
    ) -> None:
        response = await probe.get("/probes/not-a-uuid", headers=reader)
        assert response.status_code == 422
        error = error_of(response)
        assert error["code"] == "validation_error"
        assert error["details"][0]["loc"] == ["path", "probe_id"]

    async def test_malformed_json_body_is_400_malformed_json(
        self, probe: httpx.AsyncClient
    ) -> None:
        response = await probe.post(
            "/counted", content=b'{"count": 1,', headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "malformed_json"
        assert error["message"] == "The request body is not valid JSON."

    async def test_valid_json_still_reaches_the_endpoint(self, probe: httpx.AsyncClient) -> None:
        response = await probe.post("/counted", json={"count": 3})
        assert response.status_code == 200
        assert response.json() == {"count": 3, "tags": []}


class TestRoutingErrors:
    async def test_unknown_route_is_404_not_found_in_the_shape(
        self, probe: httpx.AsyncClient
    ) -> None:
        response = await probe.get("/no/such/route")
        assert response.status_code == 404
        error = error_of(response)
        assert error["code"] == "not_found"
        assert error["details"] is None

    async def test_wrong_method_is_405_with_allow_header(self, probe: httpx.AsyncClient) -> None:
        response = await probe.delete("/counted")
        assert response.status_code == 405
        assert error_of(response)["code"] == "method_not_allowed"
        assert response.headers.get("allow") == "POST"


class TestUnexpectedErrors:
    async def test_unexpected_exception_is_500_with_a_generic_message(
        self, probe: httpx.AsyncClient
    ) -> None:
        response = await probe.get("/boom")
        assert response.status_code == 500
        error = error_of(response)
        assert error["code"] == "internal_error"
        assert error["message"] == "An unexpected error occurred."
        assert error["details"] is None
        assert "hunter2" not in response.text
        assert SECRET_TEXT not in response.text
        assert "RuntimeError" not in response.text

    async def test_unexpected_exception_answer_carries_the_request_id(
        self, probe: httpx.AsyncClient
    ) -> None:
        response = await probe.get("/boom", headers={"X-Request-ID": "boom-1"})
        assert response.status_code == 500
        assert response.headers.get("x-request-id") == "boom-1"


class TestNamingItem:
    def test_an_error_of_a_bulk_item_names_the_item_and_keeps_its_details(self) -> None:
        with pytest.raises(Unprocessable) as caught, naming_item(3):
            raise Unprocessable("bad", details={"field": "name"})
        assert caught.value.details == {"field": "name", "item": 3}
        with pytest.raises(NotFound) as missing, naming_item(0):
            raise NotFound()
        assert missing.value.details == {"item": 0}

    def test_an_error_of_a_single_write_is_left_as_it_is(self) -> None:
        with pytest.raises(Unprocessable) as caught, naming_item(None):
            raise Unprocessable("bad", details={"field": "name"})
        assert caught.value.details == {"field": "name"}

    def test_other_exceptions_pass_through_unchanged(self) -> None:
        with pytest.raises(KeyError), naming_item(1):
            raise KeyError("x")
