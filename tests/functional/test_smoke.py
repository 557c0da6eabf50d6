import httpx

from tests.factories.accounts import register
from tests.factories.catalog import create_service


async def test_register_publish_and_search(client: httpx.AsyncClient, outbox) -> None:  # type: ignore[no-untyped-def]
    pro = await register(client, outbox, role="professional")
    svc = await create_service(client, pro)
    r = await client.get("/api/v1/services", params={"q": "plomero"})
    assert r.status_code == 200
    assert [i["id"] for i in r.json()["items"]] == [svc["id"]]
