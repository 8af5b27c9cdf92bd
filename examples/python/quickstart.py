"""Quickstart: every operation and how to handle its errors (Python).

Configuration comes from the environment: BOTSPLASH_APP_ID, BOTSPLASH_API_KEY (or
BOTSPLASH_USERNAME + BOTSPLASH_PASSWORD) and BOTSPLASH_BASE_URL (`scripts/demo.sh` points it
at a local mock server). Run it with the `botsplash` package installed:

    python examples/python/quickstart.py
"""

import asyncio
import sys

import botsplash


def main() -> int:
    # No options: everything comes from the BOTSPLASH_* variables. Keep one client per
    # process and reuse it; it holds the connection pool.
    client = botsplash.Client()
    print(f"client: {client!r}")

    # One visitor, with a first message. Fields are snake_case keyword arguments (a dict with
    # the API's camelCase names works too).
    result = client.listeners.submit_visitor(
        "new-leads",
        phone_number="+1 (704) 555-0100",
        first_name="Ann",
        last_name="Lee",
        email="ann.lee@example.com",
        state="NC",
        tz_name="America/New_York",
        client_visitor_id="crm-1001",
        extended_attributes={"loanAmount": 250000, "source": "web"},
        message="Hi Ann, this is Botsplash Lending!",
    )
    print(f"submit_visitor: success={result.success} request_id={result.request_id}")

    # Many visitors: sent in batches, results in input order.
    visitors = [{"phone_number": f"704-555-02{i:02}", "first_name": f"Lead {i}"} for i in range(5)]
    results = client.listeners.submit_salesforce_visitors("salesforce-leads", visitors)
    print(f"submit_salesforce_visitors: {sum(r.success for r in results)} accepted")

    # A LendingTree lead, XML in and XML out.
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<LeadInformation><FirstName>Bo</FirstName><Phone>7045550300</Phone></LeadInformation>"
    )
    answer = client.listeners.submit_lendingtree_lead("lendingtree", xml)
    print(f"submit_lendingtree_lead: HTTP {answer.status} {answer.xml}")

    # A direct message to a known visitor.
    client.messages.send("Your documents are ready to sign.", {"client_visitor_id": "crm-1001"})
    print("messages.send: sent")

    # Bad input is caught before anything is sent, with every field's path (the API's names).
    try:
        client.listeners.submit_visitor("new-leads", phone_number="555", state="XX", tz_name="Eastern")
    except botsplash.ValidationError as e:
        print("validation error, nothing sent:")
        for field in e.field_errors:
            print(f"  {field.path}: {field.message}")
    else:
        print("unexpected: invalid visitor accepted", file=sys.stderr)
        return 1

    # Server-side failures carry the status, the request id and whether the lead may have
    # arrived. An app id given in code beats BOTSPLASH_APP_ID; the credentials still come
    # from the environment.
    wrong_app = botsplash.Client(app_id="no-such-app")
    try:
        wrong_app.listeners.submit_visitor("new-leads", phone_number="7045550100")
    except botsplash.BotsplashError as e:
        print(f"{e.kind} error ({type(e).__name__}): {e.message}")
        print(f"  status {e.status}, request id {e.request_id}, outcome unknown: {e.outcome_unknown}")
        if e.outcome_unknown:
            print("  the lead may have been delivered: do not resend it blindly")
    else:
        print("unexpected: unknown app accepted", file=sys.stderr)
        return 1

    asyncio.run(async_part())
    return 0


async def async_part() -> None:
    """The same calls as coroutines: here two visitors submitted concurrently."""
    async with botsplash.AsyncClient() as client:
        first, second = await asyncio.gather(
            client.listeners.submit_visitor("new-leads", phone_number="704-555-0400", first_name="Cy"),
            client.listeners.submit_visitor("new-leads", phone_number="704-555-0401", first_name="Di"),
        )
    print(f"AsyncClient: 2 visitors submitted concurrently ({first.request_id}, {second.request_id})")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except botsplash.BotsplashError as e:
        print(f"quickstart failed: {e.kind}: {e}", file=sys.stderr)
        sys.exit(1)
