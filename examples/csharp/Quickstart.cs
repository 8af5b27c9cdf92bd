// Quickstart: every operation and how to handle its errors (C#).
//
// Configuration comes from the environment: BOTSPLASH_APP_ID, BOTSPLASH_API_KEY (or
// BOTSPLASH_USERNAME + BOTSPLASH_PASSWORD) and BOTSPLASH_BASE_URL (scripts/demo.sh points it at
// a local mock server). From the repository root (Debian: apt-get install mono-mcs mono-runtime):
//
//   cargo build -p botsplash-c
//   mcs -r:System.Core.dll -out:Quickstart.exe examples/csharp/Quickstart.cs bindings-c/csharp/Botsplash.cs
//   LD_LIBRARY_PATH=target/debug mono Quickstart.exe

using System;
using System.Collections.Generic;
using System.Linq;
using Botsplash;

static class Quickstart
{
    static int Main()
    {
        try
        {
            Run();
            return 0;
        }
        catch (BotsplashError e)
        {
            Console.Error.WriteLine($"quickstart failed: {e.Code}: {e.Message}");
            return 1;
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"quickstart failed: {e.Message}");
            return 1;
        }
    }

    static void Run()
    {
        // No options: everything comes from the BOTSPLASH_* variables. Keep one client per
        // process and share it (it is thread-safe); Dispose closes its connections.
        using (var client = new Client())
        {
            Console.WriteLine($"client: libbotsplash {Client.Version}, configured from BOTSPLASH_*");

            // One visitor, with a first message.
            var ann = new Visitor
            {
                PhoneNumber = "+1 (704) 555-0100",
                FirstName = "Ann",
                LastName = "Lee",
                Email = "ann.lee@example.com",
                State = "NC",
                TzName = "America/New_York",
                ClientVisitorId = "crm-1001",
                ExtendedAttributes = new Dictionary<string, object> { { "loanAmount", 250000 }, { "source", "web" } },
            };
            ListenerResult result = client.Listeners.SubmitVisitor("new-leads", ann, message: "Hi Ann, this is Botsplash Lending!");
            Console.WriteLine($"SubmitVisitor: Success={result.Success} RequestId={result.RequestId}");

            // Many visitors: sent in batches, results in input order.
            var visitors = Enumerable.Range(0, 5)
                .Select(i => new Visitor { PhoneNumber = $"704-555-02{i:00}", FirstName = $"Lead {i}" })
                .ToList();
            IList<ListenerResult> results = client.Listeners.SubmitSalesforceVisitors("salesforce-leads", visitors);
            Console.WriteLine($"SubmitSalesforceVisitors: {results.Count(r => r.Success)} accepted");

            // A LendingTree lead, XML in and XML out.
            const string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                + "<LeadInformation><FirstName>Bo</FirstName><Phone>7045550300</Phone></LeadInformation>";
            LendingTreeResponse answer = client.Listeners.SubmitLendingTreeLead("lendingtree", xml);
            Console.WriteLine($"SubmitLendingTreeLead: HTTP {answer.Status} {answer.Xml}");

            // A direct message to a known visitor.
            client.Messages.Send("Your documents are ready to sign.", new Visitor { ClientVisitorId = "crm-1001" });
            Console.WriteLine("Messages.Send: sent");

            // Bad input is caught before anything is sent, with every field's path.
            try
            {
                client.Listeners.SubmitVisitor("new-leads", new Visitor { PhoneNumber = "555", State = "XX", TzName = "Eastern" });
                throw new InvalidOperationException("unexpected: invalid visitor accepted");
            }
            catch (ValidationError e)
            {
                Console.WriteLine("validation error, nothing sent:");
                foreach (FieldError field in e.FieldErrors)
                    Console.WriteLine($"  {field.Path}: {field.Message}");
            }
        }

        // Server-side failures carry the HTTP status, the request id and whether the lead may
        // have arrived. An AppId given in code beats BOTSPLASH_APP_ID; the credentials still
        // come from the environment.
        using (var wrongApp = new Client(new ClientOptions { AppId = "no-such-app" }))
        {
            try
            {
                wrongApp.Listeners.SubmitVisitor("new-leads", new Visitor { PhoneNumber = "7045550100" });
                throw new InvalidOperationException("unexpected: unknown app accepted");
            }
            catch (BotsplashError e)
            {
                Console.WriteLine($"{e.Code} error ({e.GetType().Name}): {e.Message}");
                Console.WriteLine($"  HttpStatus {e.HttpStatus}, RequestId {e.RequestId}, OutcomeUnknown: {e.OutcomeUnknown}");
                if (e.OutcomeUnknown)
                    Console.WriteLine("  the lead may have been delivered: do not resend it blindly");
            }
        }
    }
}
