"""Uses the whole public API through its type stubs; `mypy --strict` must pass on this file.

Run it against the mock server:

    botsplash-mock --port 8080 &
    BOTSPLASH_BASE_URL=http://127.0.0.1:8080 python examples/typed_usage.py
"""

from __future__ import annotations

import asyncio
import os
from typing import Dict, List, Optional

import botsplash
from botsplash import ListenerResult, Visitor


def visitors() -> List[Visitor]:
    return [
        {"phone_number": "+1 704 555 0100", "first_name": "Ann", "tz_name": "America/New_York"},
        {
            "phone_number": "704.555.0101",
            "agent_client_user_id": ["agent-7", "agent-9"],
            "extended_attributes": {"loan_amount": 250000, "source": {"utm": "spring"}},
        },
    ]


def sync_example(base_url: str) -> None:
    with botsplash.Client(app_id="demo-app", api_key="demo-key", base_url=base_url, timeout=10) as client:
        config: botsplash.Config = client.config
        print(client, config.auth, config.timeout)

        result: ListenerResult = client.listeners.submit_visitor(
            "leads", phone_number="+1 704 555 0100", first_name="Ann", message="Hi Ann!"
        )
        print(result.success, result.request_id)

        extra: Dict[str, object] = {"phone_number": "7045550102", "participantAgentIds": ["p-1"]}
        client.listeners.submit_visitor("leads", extra)

        results: List[ListenerResult] = client.listeners.submit_salesforce_visitors("leads", visitors())
        print([r.request_id for r in results])

        lead: botsplash.LendingTreeResponse = client.listeners.submit_lendingtree_lead("leads", "<Lead/>")
        print(lead.status, len(lead.xml))

        client.messages.send("See you at 3pm", {"client_visitor_id": "crm-42"})

        try:
            client.listeners.submit_visitor("leads", phone_number="12")
        except botsplash.ValidationError as e:
            for field in e.field_errors:
                print(field.path, field.message)
        except botsplash.RateLimitError as e:
            wait: Optional[float] = e.retry_after
            print("retry after", wait)
        except botsplash.PartialBulkError as e:
            missing: List[int] = e.unconfirmed
            print(missing, e.results)
        except botsplash.BotsplashError as e:
            status: Optional[int] = e.status
            print(type(e).__name__, status, e.request_id, e.retries, e.outcome_unknown)


async def async_example(base_url: str) -> None:
    async with botsplash.AsyncClient(app_id="demo-app", api_key="demo-key", base_url=base_url) as client:
        first: ListenerResult = await client.listeners.submit_visitor("leads", phone_number="+1 704 555 0100")
        many = await asyncio.gather(
            *(client.listeners.submit_visitor("leads", {"phone_number": "7045550100", "client_visitor_id": str(i)}) for i in range(10))
        )
        batch: List[ListenerResult] = await client.listeners.submit_salesforce_visitors("leads", visitors(), message="Hello")
        lead = await client.listeners.submit_lendingtree_lead("leads", "<Lead/>")
        await client.messages.send("Thanks!", {"phone_number": "+1 704 555 0100"})
        print(first.request_id, len(many), len(batch), lead.status)


if __name__ == "__main__":
    url = os.environ.get("BOTSPLASH_BASE_URL", "http://127.0.0.1:8080")
    sync_example(url)
    asyncio.run(async_example(url))
