// Tests of the C# wrapper (Botsplash.dll over libbotsplash) against a botsplash-mock this
// program starts. Build and run: bindings-c/test.sh, or see bindings-c/README.md.
// The mock comes from $BOTSPLASH_MOCK_BIN, else target/debug/botsplash-mock under the working
// directory or its parent. The last line is "N passed, M failed".

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Botsplash;

static class Tests
{
    static int passed, failed;
    static string current = "?";
    static MockServer mock;

    static void Check(bool ok, string what)
    {
        if (ok) { passed++; return; }
        failed++;
        Console.WriteLine("FAIL [" + current + "] " + what);
    }

    /// <summary>Runs `action`, expecting exactly exception type T; returns it (or null).</summary>
    static T Throws<T>(Action action, string what) where T : Exception
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            if (e.GetType() == typeof(T)) { passed++; return (T)e; }
            failed++;
            Console.WriteLine("FAIL [" + current + "] " + what + ": expected " + typeof(T).Name + ", got " + e.GetType().Name + ": " + e.Message);
            return null;
        }
        failed++;
        Console.WriteLine("FAIL [" + current + "] " + what + ": expected " + typeof(T).Name + ", nothing thrown");
        return null;
    }

    static void Run(string name, Action test)
    {
        current = name;
        var watch = Stopwatch.StartNew();
        try
        {
            test();
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine("FAIL [" + name + "] unexpected " + e.GetType().Name + ": " + e.Message);
        }
        Console.WriteLine("# " + name + " (" + watch.Elapsed.TotalSeconds.ToString("0.00") + " s)");
    }

    // ---------------------------------------------------------------------------------------
    // The mock server (MockServer.cs)

    /// <summary>The response body of a control request that succeeded; throws on any other status.</summary>
    static string Control(string method, string path, string body = null)
    {
        string answer;
        int status = mock.Control(method, path, body, out answer);
        if (status < 200 || status >= 300) throw new Exception(method + " " + path + ": HTTP " + status + ": " + answer);
        return answer;
    }

    static void Reset()
    {
        Control("DELETE", "/__mock/requests");
        Control("DELETE", "/__mock/faults");
    }

    static void Fault(string json)
    {
        Control("POST", "/__mock/faults", json);
    }

    static string Ledger()
    {
        return Control("GET", "/__mock/requests");
    }

    static int Total()
    {
        var m = Regex.Match(Ledger(), "\"total\":(\\d+)");
        return m.Success ? int.Parse(m.Groups[1].Value) : -1;
    }

    static int Count(string haystack, string needle)
    {
        return Regex.Matches(haystack, Regex.Escape(needle)).Count;
    }

    static ClientOptions Options()
    {
        return new ClientOptions { AppId = "demo-app", ApiKey = "demo-key", BaseUrl = mock.Url };
    }

    static Visitor Ann()
    {
        return new Visitor { PhoneNumber = "+1 704 555 0100", FirstName = "Ann" };
    }

    static List<Visitor> Five()
    {
        return Enumerable.Range(0, 5).Select(i => new Visitor { PhoneNumber = "704555010" + i }).ToList();
    }

    // ---------------------------------------------------------------------------------------
    // Tests

    static void TestConfig()
    {
        Check(!string.IsNullOrEmpty(Client.Version) && Client.Version.Contains("."), "Client.Version");
        var e = Throws<ConfigError>(() => new Client(new ClientOptions { ApiKey = "k", BaseUrl = mock.Url }), "no app id");
        Check(e != null && e.Message.Contains("BOTSPLASH_APP_ID") && e.Code == "CONFIG", "ConfigError names the variable");
        Check(e is BotsplashError && e.HttpStatus == null && !e.OutcomeUnknown, "ConfigError fields");
        Throws<ConfigError>(() => new Client(new ClientOptions { AppId = "a", BaseUrl = mock.Url }), "no credentials");
        var o = Options(); o.Username = "demo"; o.Password = "demo-password";
        Throws<ConfigError>(() => new Client(o), "key and password");
        o = Options(); o.ApiKey = null; o.Username = "demo";
        Throws<ConfigError>(() => new Client(o), "username without password");
        o = Options(); o.BaseUrl = "http://api.example.com";
        Throws<ConfigError>(() => new Client(o), "plain http to a remote host");
        o = Options(); o.Timeout = TimeSpan.Zero;
        Throws<ConfigError>(() => new Client(o), "zero timeout");
        o = Options(); o.ConnectTimeout = TimeSpan.FromSeconds(-1);
        Throws<ConfigError>(() => new Client(o), "negative connect timeout");
        o = Options(); o.MaxRetries = -1;
        Throws<ConfigError>(() => new Client(o), "negative retries");
        o = Options(); o.BatchSize = 0;
        Throws<ConfigError>(() => new Client(o), "zero batch size");
        o = Options(); o.BulkConcurrency = -3;
        Throws<ConfigError>(() => new Client(o), "negative concurrency");
        var secret = Throws<ConfigError>(() => new Client(new ClientOptions { AppId = "a", Username = "u:x", Password = "pa55-secret", BaseUrl = mock.Url }), "bad username");
        Check(secret != null && !secret.Message.Contains("pa55-secret"), "no secret in the message");
        Check(!Options().ToString().Contains("demo-key"), "options ToString hides the key");

        // Every option accepted.
        o = Options();
        o.ApiKeyPlacement = ApiKeyPlacement.Body;
        o.Timeout = TimeSpan.FromSeconds(10);
        o.ConnectTimeout = TimeSpan.FromSeconds(2);
        o.MaxRetries = 1;
        o.RetryUnknownOutcome = false;
        o.BatchSize = 10;
        o.BulkConcurrency = 2;
        Reset();
        using (var client = new Client(o)) client.Listeners.SubmitVisitor("leads", Ann());
        Check(Ledger().Contains("\"auth\":\"api_key_body\""), "key in the body");
    }

    static void TestEnvironment()
    {
        Environment.SetEnvironmentVariable("BOTSPLASH_APP_ID", "demo-app");
        Environment.SetEnvironmentVariable("BOTSPLASH_USERNAME", "demo");
        Environment.SetEnvironmentVariable("BOTSPLASH_PASSWORD", "demo-password");
        Environment.SetEnvironmentVariable("BOTSPLASH_BASE_URL", mock.Url);
        try
        {
            Reset();
            using (var client = new Client()) client.Messages.Send("from the environment", new Visitor { ClientVisitorId = "crm-1" });
            Check(Ledger().Contains("\"auth\":\"basic\""), "credentials from BOTSPLASH_*");
        }
        finally
        {
            foreach (var name in new[] { "BOTSPLASH_APP_ID", "BOTSPLASH_USERNAME", "BOTSPLASH_PASSWORD", "BOTSPLASH_BASE_URL" })
                Environment.SetEnvironmentVariable(name, null);
        }
    }

    static void TestOperations(Client client)
    {
        Reset();
        var visitor = new Visitor
        {
            PhoneNumber = "+1 (704) 555-0100",
            FirstName = "Zoë",
            LastName = "Lee",
            Email = "zoe@example.com",
            State = "NC",
            TzName = "America/New_York",
            ClientVisitorId = "crm-7",
            AgentClientUserId = new[] { "a-1", "a-2" },
            TeamCode = "T1",
            DeliveryStatus = 202,
            ExtendedAttributes = new Dictionary<string, object> { { "loan", new Dictionary<string, object> { { "amount", 250000 }, { "rate", 6.5 } } } },
            Extra = new Dictionary<string, object> { { "participantAgentIds", new[] { 7 } } },
        };
        var result = client.Listeners.SubmitVisitor("leads", visitor, "Hi Zoë ✓");
        Check(result.Success && result.RequestId != null && result.RequestId.Length == 36, "SubmitVisitor result");
        var ledger = Ledger();
        Check(ledger.Contains(result.RequestId), "request id in the ledger");
        Check(ledger.Contains("\"firstName\":\"Zoë\"") && ledger.Contains("\"args\":{\"message\":\"Hi Zoë ✓\"}"), "UTF-8 round trip");
        Check(ledger.Contains("\"agentClientUserId\":[\"a-1\",\"a-2\"]") && ledger.Contains("\"deliveryStatus\":202"), "typed fields on the wire");
        Check(ledger.Contains("\"extendedAttributes\":{\"loan\":{\"amount\":250000,\"rate\":6.5}}"), "extended attributes as given");
        Check(ledger.Contains("\"participantAgentIds\":[7]") && !ledger.Contains("\"email\":null"), "extra fields kept, nulls not sent");

        Reset();
        var single = client.Listeners.SubmitVisitor("leads", Ann());
        Check(single.Success && !Ledger().Contains("\"args\""), "no message, no args");

        Reset();
        var o = Options(); o.BatchSize = 2; o.BulkConcurrency = 1;
        using (var bulk = new Client(o))
        {
            var results = bulk.Listeners.SubmitSalesforceVisitors("bulk", Five(), "Hello all");
            Check(results.Count == 5 && results.All(r => r.Success && r.RequestId.Length == 36), "five results");
            ledger = Ledger();
            Check(Count(ledger, "\"operation\":\"submit_salesforce_visitors\"") == 3, "three batches");
            int last = -1;
            bool ordered = true;
            foreach (var r in results)
            {
                int at = ledger.IndexOf(r.RequestId, StringComparison.Ordinal);
                ordered &= at > last;
                last = at;
            }
            Check(ordered, "results in input order");
        }

        Reset();
        var lead = client.Listeners.SubmitLendingTreeLead("lt", "<?xml version=\"1.0\"?><LeadInformation><Phone>7045550100</Phone></LeadInformation>");
        Check(lead.Status == 200 && lead.Xml.Contains("<Status>Success</Status>"), "LendingTree answer");

        client.Messages.Send("Your rate is locked", new Visitor { ClientVisitorId = "crm-7" });
        client.Messages.Send("No visitor");
        ledger = Ledger();
        Check(Count(ledger, "\"operation\":\"send_message\"") == 2 && ledger.Contains("\"text\":\"Your rate is locked\""), "messages sent");
    }

    static void TestErrors(Client client)
    {
        Reset();
        var v = Throws<ValidationError>(() => client.Listeners.SubmitVisitor("leads", new Visitor { Email = "nope", TzName = "Mars/Base" }), "invalid visitor");
        if (v != null)
        {
            var paths = v.FieldErrors.Select(f => f.Path).ToList();
            Check(paths.Contains("visitor.phoneNumber") && paths.Contains("visitor.email") && paths.Contains("visitor.tzName"), "every field error: " + string.Join(",", paths));
            Check(v.Code == "VALIDATION" && v is BotsplashError, "ValidationError code");
        }
        var bulk = Five();
        bulk[1].TzName = "America/NewYork";
        bulk[3] = new Visitor();
        v = Throws<ValidationError>(() => client.Listeners.SubmitSalesforceVisitors("bulk", bulk), "invalid bulk");
        Check(v != null && v.FieldErrors.Any(f => f.Path == "visitors[1].tzName") && v.FieldErrors.Any(f => f.Path == "visitors[3].phoneNumber"), "bulk paths");
        Throws<ValidationError>(() => client.Listeners.SubmitSalesforceVisitors("bulk", new Visitor[0]), "empty bulk");
        Throws<ValidationError>(() => client.Listeners.SubmitLendingTreeLead("lt", "<open>"), "bad XML");
        Throws<ValidationError>(() => client.Messages.Send(""), "empty text");
        Throws<ValidationError>(() => client.Messages.Send("Hi", new Visitor { FirstName = "A" }), "message visitor without id");
        Throws<ValidationError>(() => client.Listeners.SubmitVisitor("", Ann()), "empty listener id");
        Throws<ValidationError>(() => client.Listeners.SubmitVisitor("leads", Ann(), ""), "empty message");
        Check(Total() == 0, "nothing sent for invalid input");

        // Argument mistakes are .NET's own exceptions.
        Throws<ArgumentNullException>(() => client.Listeners.SubmitVisitor(null, Ann()), "null listener id");
        Throws<ArgumentNullException>(() => client.Listeners.SubmitVisitor("leads", null), "null visitor");
        Throws<ArgumentNullException>(() => client.Listeners.SubmitSalesforceVisitors("bulk", null), "null visitors");
        Throws<ArgumentNullException>(() => client.Listeners.SubmitLendingTreeLead("lt", null), "null xml");
        Throws<ArgumentNullException>(() => client.Messages.Send(null), "null text");
        var odd = Ann();
        odd.Extra = new Dictionary<string, object> { { "when", DateTime.Now } };
        Throws<ArgumentException>(() => client.Listeners.SubmitVisitor("leads", odd), "a value JSON cannot hold");

        var o = Options(); o.ApiKey = null; o.Username = "demo"; o.Password = "wr0ng-secret";
        using (var wrong = new Client(o))
        {
            var a = Throws<AuthenticationError>(() => wrong.Listeners.SubmitVisitor("leads", Ann()), "wrong password");
            Check(a != null && a.HttpStatus == 401 && a.RequestId != null && a.RequestId.Length == 36 && !a.OutcomeUnknown, "401 details");
            Check(a != null && !a.Message.Contains("wr0ng") && !a.ToString().Contains("wr0ng"), "no secret in the error");
        }

        var n = Throws<NotFoundError>(() => client.Listeners.SubmitVisitor("nope", Ann()), "unknown listener");
        Check(n != null && n.HttpStatus == 404 && n.Code == "NOT_FOUND", "404 details");

        Fault("{\"action\": \"status\", \"status\": 429, \"retry_after\": \"0\", \"times\": 3}");
        var rl = Throws<RateLimitError>(() => client.Listeners.SubmitVisitor("leads", Ann()), "429");
        Check(rl != null && rl.RetryAfter == TimeSpan.Zero && rl.Retries == 2 && rl.HttpStatus == 429, "429 details");

        Reset();
        Fault("{\"action\": \"status\", \"status\": 500}");
        var api = Throws<APIError>(() => client.Listeners.SubmitVisitor("leads", Ann()), "500");
        Check(api != null && api.HttpStatus == 500 && api.OutcomeUnknown && api.Message.Contains("injected 500"), "500 details");
        Check(Total() == 1, "a 5xx is not retried by default");

        o = Options(); o.Timeout = TimeSpan.FromMilliseconds(300);
        using (var impatient = new Client(o))
        {
            Fault("{\"action\": \"delay\", \"delay_ms\": 1500}");
            var t = Throws<APITimeoutError>(() => impatient.Listeners.SubmitVisitor("leads", Ann()), "timeout");
            Check(t != null && t.OutcomeUnknown, "timeout outcome unknown");
        }

        Fault("{\"action\": \"drop_after_read\"}");
        var c = Throws<APIConnectionError>(() => client.Messages.Send("Hi"), "dropped connection");
        Check(c != null && c.OutcomeUnknown, "dropped after read: outcome unknown");

        Fault("{\"action\": \"malformed_json\"}");
        var d = Throws<DecodeError>(() => client.Listeners.SubmitVisitor("leads", Ann()), "malformed answer");
        Check(d != null && d.HttpStatus == 200 && d.OutcomeUnknown, "decode details");

        Reset();
        o = Options(); o.BatchSize = 2; o.BulkConcurrency = 1;
        using (var bulkClient = new Client(o))
        {
            Fault("{\"faults\": [{\"operation\": \"submit_salesforce_visitors\", \"action\": \"delay\", \"delay_ms\": 0}, {\"operation\": \"submit_salesforce_visitors\", \"action\": \"status\", \"status\": 500}]}");
            var p = Throws<PartialBulkError>(() => bulkClient.Listeners.SubmitSalesforceVisitors("bulk", Five()), "partial bulk");
            if (p != null)
            {
                Check(p.Results.Count == 5 && p.Results[0] != null && p.Results[1] != null && p.Results.Skip(2).All(r => r == null), "partial results");
                Check(p.Unconfirmed.SequenceEqual(new[] { 2, 3, 4 }), "unconfirmed indices");
                Check(p.OutcomeUnknown && p.Code == "PARTIAL" && Ledger().Contains(p.Results[0].RequestId), "partial details");
            }
        }
    }

    /// <summary>A sequence produced on demand that records how it was read.</summary>
    sealed class Tracked : IEnumerable<Visitor>
    {
        readonly int count;
        readonly Func<int, Visitor> make;
        public int Enumerations, Produced, ThrowAt = -1;
        public bool Finished;

        public Tracked(int count, Func<int, Visitor> make = null)
        {
            this.count = count;
            this.make = make ?? (i => new Visitor { PhoneNumber = "704555" + i.ToString("0000") });
        }

        public IEnumerator<Visitor> GetEnumerator()
        {
            Enumerations++;
            return Items();
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator()
        {
            return GetEnumerator();
        }

        IEnumerator<Visitor> Items()
        {
            try
            {
                for (int i = 0; i < count; i++)
                {
                    if (i == ThrowAt) throw new InvalidOperationException("the source failed at row " + i);
                    Produced++;
                    yield return make(i);
                }
            }
            finally
            {
                Finished = true;
            }
        }
    }

    static void TestBulk(Client client)
    {
        // A lazy sequence is read once, in order; results come back in that order.
        Reset();
        var o = Options(); o.BatchSize = 40; o.BulkConcurrency = 1;
        using (var bulkClient = new Client(o))
        {
            var source = new Tracked(150);
            var results = bulkClient.Listeners.SubmitSalesforceVisitors("bulk", source, "Hello all");
            Check(source.Enumerations == 1 && source.Produced == 150 && source.Finished, "read once, to the end, enumerator disposed");
            Check(results.Count == 150 && results.All(r => r.Success && r.RequestId.Length == 36), "150 results");
            var ledger = Ledger();
            Check(Count(ledger, "\"operation\":\"submit_salesforce_visitors\"") == 4 && Count(ledger, "\"args\":{\"message\":\"Hello all\"}") == 4, "four batches with the message");
            int last = -1;
            bool ordered = true;
            foreach (var r in results)
            {
                int at = ledger.IndexOf(r.RequestId, StringComparison.Ordinal);
                ordered &= at > last;
                last = at;
            }
            Check(ordered, "results in input order");
            Check(ledger.IndexOf("\"7045550000\"", StringComparison.Ordinal) < ledger.IndexOf("\"7045550149\"", StringComparison.Ordinal), "visitors sent in order");
        }

        // Every field error of every visitor, with the index of its place in the sequence.
        Reset();
        var invalid = new Tracked(1500, i => i == 1000 ? new Visitor { PhoneNumber = "7045551000", TzName = "Mars/Base" }
            : i == 1499 ? null : new Visitor { PhoneNumber = "704555" + i.ToString("0000") });
        var v = Throws<ValidationError>(() => client.Listeners.SubmitSalesforceVisitors("bulk", invalid), "invalid visitors far into a bulk");
        if (v != null)
        {
            var paths = v.FieldErrors.Select(f => f.Path).ToList();
            Check(paths.SequenceEqual(new[] { "visitors[1000].tzName", "visitors[1499]" }), "paths at large indices: " + string.Join(",", paths));
            Check(v.Code == "VALIDATION", "validation code");
        }
        v = Throws<ValidationError>(() => client.Listeners.SubmitSalesforceVisitors("", Five(), ""), "empty listener id and message");
        Check(v != null && v.FieldErrors.Any(f => f.Path == "listenerId") && v.FieldErrors.Any(f => f.Path == "args.message"), "listener id and message paths");
        Check(Total() == 0, "nothing sent for an invalid bulk");

        // The source's own exception comes through as it is, and nothing is sent.
        var failing = new Tracked(500) { ThrowAt = 300 };
        var e = Throws<InvalidOperationException>(() => client.Listeners.SubmitSalesforceVisitors("bulk", failing), "a failing source");
        Check(e != null && e.Message.Contains("row 300") && failing.Produced == 300 && failing.Finished, "the source's exception, source disposed");
        var odd = Five();
        odd[3].Extra = new Dictionary<string, object> { { "when", DateTime.Now } };
        Throws<ArgumentException>(() => client.Listeners.SubmitSalesforceVisitors("bulk", odd), "a value JSON cannot hold, mid-bulk");
        Check(Total() == 0, "nothing sent when the source fails");

        // Text of every kind arrives intact (UTF-8, escapes, a lone surrogate replaced as
        // every UTF-8 conversion does), and a very large visitor between small ones.
        Reset();
        string notes = new string('n', 200 * 1024);
        var mixed = new List<Visitor>
        {
            new Visitor { PhoneNumber = "7045550100", FirstName = "Zoë 😀", LastName = "a\"b\\c\nd\u0001" },
            new Visitor { PhoneNumber = "7045550101", ExtendedAttributes = new Dictionary<string, object> { { "notes", notes } } },
            new Visitor { PhoneNumber = "7045550102", FirstName = "x\ud800y" },
            new Visitor { PhoneNumber = "7045550103" },
        };
        var all = client.Listeners.SubmitSalesforceVisitors("bulk", mixed);
        var sent = Ledger();
        Check(all.Count == 4 && all.All(r => r.Success), "mixed visitors accepted");
        Check(sent.Contains("\"firstName\":\"Zoë 😀\"") && sent.Contains("\"lastName\":\"a\\\"b\\\\c\\nd\\u0001\""), "UTF-8 and escapes intact");
        Check(sent.Contains("\"notes\":\"" + notes + "\"") && sent.Contains("\"firstName\":\"x\ufffdy\""), "large visitor and lone surrogate");
        Check(Count(sent, "\"phoneNumber\":\"7045550103\"}") == 1, "a small visitor after a large one is not padded with old bytes");

        // A disposed client refuses before reading the sequence.
        var closed = new Client(Options());
        closed.Dispose();
        var unread = new Tracked(10);
        Throws<ObjectDisposedException>(() => closed.Listeners.SubmitSalesforceVisitors("bulk", unread), "bulk after Dispose");
        Check(unread.Enumerations == 0, "the sequence was not read");
    }

    static void TestThreads(Client client)
    {
        Reset();
        const int threads = 6, calls = 10;
        var ids = new List<string>();
        var errors = new List<string>();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            for (int i = 0; i < calls; i++)
            {
                try
                {
                    var r = client.Listeners.SubmitVisitor("leads", new Visitor { PhoneNumber = string.Format("70455{0:00}{1:000}", t, i) });
                    lock (ids) ids.Add(r.RequestId);
                }
                catch (Exception e)
                {
                    lock (errors) errors.Add(e.Message);
                }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Check(errors.Count == 0, "no errors from threads: " + string.Join("; ", errors.Take(3)));
        Check(ids.Count == threads * calls && ids.Distinct().Count() == ids.Count, "every call got its own request id");
        Check(Total() == threads * calls, "every call reached the server once");
    }

    static void TestDispose()
    {
        var client = new Client(Options());
        client.Listeners.SubmitVisitor("leads", Ann());
        client.Dispose();
        client.Dispose();
        Throws<ObjectDisposedException>(() => client.Listeners.SubmitVisitor("leads", Ann()), "use after Dispose");
        // A client that is never disposed is freed by its SafeHandle's finalizer.
        for (int i = 0; i < 3; i++) new Client(Options()).Messages.Send("Hi");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Check(true, "finalized clients");
    }

    static int Main()
    {
        foreach (var name in new[] { "BOTSPLASH_APP_ID", "BOTSPLASH_API_KEY", "BOTSPLASH_USERNAME", "BOTSPLASH_PASSWORD", "BOTSPLASH_BASE_URL",
                                     "BOTSPLASH_API_KEY_IN", "BOTSPLASH_TIMEOUT", "BOTSPLASH_CONNECT_TIMEOUT", "BOTSPLASH_MAX_RETRIES",
                                     "BOTSPLASH_RETRY_UNKNOWN_OUTCOME", "BOTSPLASH_BATCH_SIZE", "BOTSPLASH_BULK_CONCURRENCY" })
            Environment.SetEnvironmentVariable(name, null);
        try
        {
            mock = MockServer.Start("--listener", "leads", "--listener", "bulk", "--listener", "lt");
            Console.WriteLine("# mock at " + mock.Url + ", libbotsplash " + Client.Version);
            using (var client = new Client(Options()))
            {
                Run("config", TestConfig);
                Run("environment", TestEnvironment);
                Run("operations", () => TestOperations(client));
                Run("errors", () => TestErrors(client));
                Run("bulk", () => TestBulk(client));
                Run("threads", () => TestThreads(client));
                Run("dispose", TestDispose);
            }
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine("FAIL setup: " + e);
        }
        finally
        {
            if (mock != null) mock.Dispose();
        }
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
