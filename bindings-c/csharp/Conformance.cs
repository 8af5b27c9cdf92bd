// The C# runner of the shared conformance cases (the JSON files in conformance/cases, format in
// conformance/README.md), through the wrapper's public API: Botsplash.Client, ClientOptions,
// Visitor and the exception classes. core/tests/conformance.rs is the reference for what each
// key means. A key this runner does not understand, anywhere in a case, fails that case.
//
// Compiled into one assembly with Botsplash.cs, so that it can read JSON with the wrapper's
// internal reader (Mono's base install has no JSON library), and with MockServer.cs:
//   mcs -r:System.Core.dll -out:Conformance.exe Conformance.cs MockServer.cs Botsplash.cs
//   LD_LIBRARY_PATH=target/debug mono Conformance.exe [CASES_DIR]
// CASES_DIR defaults to conformance/cases under the working directory or its parent. The mock
// comes from $BOTSPLASH_MOCK_BIN, else target/debug/botsplash-mock found the same way.
// Prints one line per failed case and ends with "N passed, M failed"; exits 1 on any failure.

using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Botsplash;

static class Conformance
{
    /// <summary>Why a case failed; any other exception is a failure too, reported by type.</summary>
    sealed class CaseFailure : Exception
    {
        public CaseFailure(string message) : base(message) { }
    }

    static Exception Fail(string format, params object[] args)
    {
        return new CaseFailure(string.Format(CultureInfo.InvariantCulture, format, args));
    }

    // DESIGN.md's kinds (snake_case, as the cases spell them): the C# class and its Code.
    static readonly Dictionary<string, KeyValuePair<Type, string>> Kinds = new Dictionary<string, KeyValuePair<Type, string>>
    {
        { "config", Kind<ConfigError>("CONFIG") },
        { "validation", Kind<ValidationError>("VALIDATION") },
        { "authentication", Kind<AuthenticationError>("AUTHENTICATION") },
        { "not_found", Kind<NotFoundError>("NOT_FOUND") },
        { "rate_limited", Kind<RateLimitError>("RATE_LIMITED") },
        { "api", Kind<APIError>("API") },
        { "timeout", Kind<APITimeoutError>("TIMEOUT") },
        { "connection", Kind<APIConnectionError>("CONNECTION") },
        { "decode", Kind<DecodeError>("DECODE") },
        { "partial_bulk", Kind<PartialBulkError>("PARTIAL") },
    };

    static KeyValuePair<Type, string> Kind<T>(string code) where T : BotsplashError
    {
        return new KeyValuePair<Type, string>(typeof(T), code);
    }

    // ---------------------------------------------------------------------------------------
    // JSON values as the wrapper's reader gives them: Dictionary<string, object>, List<object>,
    // double, string, bool, null.

    static Dictionary<string, object> Obj(object value, string what)
    {
        var obj = value as Dictionary<string, object>;
        if (obj == null) throw Fail("{0} must be an object", what);
        return obj;
    }

    static object Get(Dictionary<string, object> obj, string key)
    {
        object v;
        return obj != null && obj.TryGetValue(key, out v) ? v : null;
    }

    static void CheckKeys(Dictionary<string, object> obj, string what, params string[] allowed)
    {
        foreach (var key in obj.Keys)
            if (Array.IndexOf(allowed, key) < 0) throw Fail("unknown key \"{0}\" in {1}", key, what);
    }

    static string Str(Dictionary<string, object> obj, string key, string what)
    {
        if (!obj.ContainsKey(key)) return null;
        var s = obj[key] as string;
        if (s == null) throw Fail("{0}.{1} must be a string", what, key);
        return s;
    }

    /// <summary>A non-negative whole number no larger than max, or null when the key is absent.</summary>
    static long? Whole(Dictionary<string, object> obj, string key, string what, long max)
    {
        if (!obj.ContainsKey(key)) return null;
        var v = obj[key];
        if (!(v is double) || (double)v < 0 || (double)v > max || Math.Floor((double)v) != (double)v)
            throw Fail("{0}.{1} must be a whole number from 0 to {2}", what, key, max);
        return (long)(double)v;
    }

    static bool JsonEquals(object a, object b)
    {
        if (a == null || b == null) return a == null && b == null;
        var da = a as Dictionary<string, object>;
        var db = b as Dictionary<string, object>;
        if (da != null || db != null)
        {
            if (da == null || db == null || da.Count != db.Count) return false;
            foreach (var pair in da)
            {
                object other;
                if (!db.TryGetValue(pair.Key, out other) || !JsonEquals(pair.Value, other)) return false;
            }
            return true;
        }
        var la = a as List<object>;
        var lb = b as List<object>;
        if (la != null || lb != null)
        {
            if (la == null || lb == null || la.Count != lb.Count) return false;
            for (int i = 0; i < la.Count; i++)
                if (!JsonEquals(la[i], lb[i])) return false;
            return true;
        }
        return a.Equals(b);
    }

    static string Show(object value)
    {
        return Json.Write(value);
    }

    // ---------------------------------------------------------------------------------------
    // The mock server (MockServer.cs) and its control API

    static MockServer mock;

    static string ControlOk(string method, string path, string body, string what)
    {
        string answer;
        int status = mock.Control(method, path, body, out answer);
        if (status != 200) throw Fail("{0}: HTTP {1}: {2}", what, status, answer);
        return answer;
    }

    static string ClosedPortUrl()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
    }

    static string Substitute(string value)
    {
        return value == "$MOCK" ? mock.Url : value == "$CLOSED" ? ClosedPortUrl() : value;
    }

    // ---------------------------------------------------------------------------------------
    // The environment. Mono's Environment.SetEnvironmentVariable calls setenv/unsetenv, so the
    // native library sees what is set here; .NET on Unix keeps a managed copy instead. Each
    // case therefore checks, through libc's getenv, that the process environment the library
    // reads is the one the case asked for, rather than passing on an environment it never saw.

    [DllImport("libc", EntryPoint = "getenv")]
    static extern IntPtr NativeGetenv([MarshalAs(UnmanagedType.LPStr)] string name);

    [DllImport("libc", EntryPoint = "setenv")]
    static extern int NativeSetenv([MarshalAs(UnmanagedType.LPStr)] string name, [MarshalAs(UnmanagedType.LPStr)] string value, int overwrite);

    static string NativeEnv(string name)
    {
        var p = NativeGetenv(name);
        return p == IntPtr.Zero ? null : Marshal.PtrToStringAnsi(p);
    }

    static void SetEnvironment(Dictionary<string, object> env)
    {
        var cleared = new List<string>();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var name = (string)e.Key;
            if (!name.StartsWith("BOTSPLASH_", StringComparison.Ordinal)) continue;
            Environment.SetEnvironmentVariable(name, null);
            cleared.Add(name);
        }
        foreach (var name in cleared)
            if (NativeEnv(name) != null) throw Fail("{0} is still set in the native environment after it was unset", name);
        if (env == null) return;
        foreach (var pair in env)
        {
            var value = Substitute((string)pair.Value);
            // SetEnvironmentVariable(name, "") deletes the variable (the .NET contract), so an
            // empty value, which the library must see as set, can only go through libc.
            if (value.Length == 0) NativeSetenv(pair.Key, value, 1);
            else Environment.SetEnvironmentVariable(pair.Key, value);
            if (NativeEnv(pair.Key) != value) throw Fail("the native library would not see {0} as the case sets it", pair.Key);
        }
    }

    // ---------------------------------------------------------------------------------------
    // The case's shape, checked before anything runs.

    static readonly string[] Operations = { "submit_visitor", "submit_salesforce_visitors", "submit_lendingtree_lead", "send_message" };

    static void CheckShape(Dictionary<string, object> kase, string fileStem)
    {
        CheckKeys(kase, "case", "name", "description", "env", "config", "faults", "operation", "args", "expect", "ledger");
        if (Str(kase, "name", "case") != fileStem) throw Fail("name must be the file name");
        Str(kase, "description", "case");
        if (kase.ContainsKey("env"))
            foreach (var pair in Obj(kase["env"], "env"))
            {
                // Only BOTSPLASH_* names are unset before each case; any other would leak into the next.
                if (!pair.Key.StartsWith("BOTSPLASH_", StringComparison.Ordinal)) throw Fail("env.{0} is not a BOTSPLASH_* variable", pair.Key);
                if (!(pair.Value is string)) throw Fail("env.{0} must be a string", pair.Key);
            }
        if (kase.ContainsKey("faults"))
        {
            var faults = kase["faults"] as List<object>;
            if (faults == null) throw Fail("faults must be a list");
            // Their keys are the mock's: it refuses unknown ones when they are posted.
            foreach (var fault in faults) Obj(fault, "a fault");
        }
        var config = Obj(Get(kase, "config"), "config");
        CheckKeys(config, "config", "app_id", "api_key", "username", "password", "api_key_in", "base_url", "timeout_ms",
            "connect_timeout_ms", "max_retries", "retry_unknown_outcome", "batch_size", "bulk_concurrency");
        foreach (var key in new[] { "app_id", "api_key", "username", "password", "base_url" }) Str(config, key, "config");
        var placement = Str(config, "api_key_in", "config");
        if (placement != null && placement != "query" && placement != "body") throw Fail("config.api_key_in must be \"query\" or \"body\"");
        foreach (var key in new[] { "timeout_ms", "connect_timeout_ms" }) Whole(config, key, "config", (long)TimeSpan.MaxValue.TotalMilliseconds);
        foreach (var key in new[] { "max_retries", "batch_size", "bulk_concurrency" }) Whole(config, key, "config", int.MaxValue);
        if (config.ContainsKey("retry_unknown_outcome") && !(config["retry_unknown_outcome"] is bool))
            throw Fail("config.retry_unknown_outcome must be a boolean");

        var operation = Get(kase, "operation") as string;
        if (Array.IndexOf(Operations, operation) < 0) throw Fail("operation is not a known operation");
        var args = Obj(Get(kase, "args"), "args");
        // Each operation takes only its own arguments: one it would ignore is not understood.
        switch (operation)
        {
            case "submit_visitor":
                CheckKeys(args, "args of submit_visitor", "listener_id", "visitor", "message");
                if (!args.ContainsKey("visitor")) throw Fail("args.visitor is missing");
                break;
            case "submit_salesforce_visitors":
                CheckKeys(args, "args of submit_salesforce_visitors", "listener_id", "visitors", "message");
                if (!(Get(args, "visitors") is List<object>)) throw Fail("args.visitors must be a list");
                break;
            case "submit_lendingtree_lead":
                CheckKeys(args, "args of submit_lendingtree_lead", "listener_id", "xml");
                if (Str(args, "xml", "args") == null) throw Fail("args.xml is missing");
                break;
            default:
                CheckKeys(args, "args of send_message", "text", "visitor");
                if (Str(args, "text", "args") == null) throw Fail("args.text is missing");
                break;
        }
        if (operation != "send_message" && Str(args, "listener_id", "args") == null) throw Fail("args.listener_id is missing");
        Str(args, "message", "args");

        var expect = Obj(Get(kase, "expect"), "expect");
        CheckKeys(expect, "expect", "result", "error");
        if (expect.ContainsKey("result") == expect.ContainsKey("error")) throw Fail("expect holds exactly one of result and error");
        if (expect.ContainsKey("result")) CheckResultShape(operation, Obj(expect["result"], "expect.result"));
        else CheckErrorShape(Obj(expect["error"], "expect.error"));

        var ledger = Obj(Get(kase, "ledger"), "ledger");
        CheckKeys(ledger, "ledger", "total", "requests");
        if (Whole(ledger, "total", "ledger", long.MaxValue) == null) throw Fail("ledger.total is missing");
        if (ledger.ContainsKey("requests"))
        {
            var requests = ledger["requests"] as List<object>;
            if (requests == null) throw Fail("ledger.requests must be a list");
            foreach (var entry in requests)
                CheckKeys(Obj(entry, "a ledger.requests entry"), "ledger.requests", "operation", "auth", "accepted", "listener_id", "body");
        }
    }

    static void CheckResultShape(string operation, Dictionary<string, object> result)
    {
        switch (operation)
        {
            case "submit_visitor":
                CheckKeys(result, "expect.result", "success");
                if (!(Get(result, "success") is bool)) throw Fail("expect.result.success must be a boolean");
                break;
            case "submit_salesforce_visitors":
                CheckKeys(result, "expect.result", "count");
                if (Whole(result, "count", "expect.result", int.MaxValue) == null) throw Fail("expect.result.count is missing");
                break;
            case "submit_lendingtree_lead":
                CheckKeys(result, "expect.result", "status", "xml_contains");
                if (Whole(result, "status", "expect.result", 999) == null) throw Fail("expect.result.status is missing");
                Str(result, "xml_contains", "expect.result");
                break;
            default:
                CheckKeys(result, "expect.result");
                break;
        }
    }

    static void CheckErrorShape(Dictionary<string, object> error)
    {
        CheckKeys(error, "expect.error", "kind", "status", "outcome_unknown", "retries", "field_paths", "message_contains",
            "retry_after", "unconfirmed", "accepted_indices", "cause");
        if (!Kinds.ContainsKey(Get(error, "kind") as string ?? "")) throw Fail("expect.error.kind is not a known kind");
        // The four always-present fields are required: a missing one would silently check nothing.
        if (!error.ContainsKey("status")) throw Fail("expect.error.status is missing");
        if (error["status"] != null) Whole(error, "status", "expect.error", 999);
        if (!(Get(error, "outcome_unknown") is bool)) throw Fail("expect.error.outcome_unknown must be a boolean");
        if (Whole(error, "retries", "expect.error", int.MaxValue) == null) throw Fail("expect.error.retries is missing");
        if (error.ContainsKey("field_paths"))
        {
            var paths = error["field_paths"] as List<object>;
            if (paths == null || paths.Any(p => !(p is string))) throw Fail("expect.error.field_paths must be a list of strings");
        }
        Str(error, "message_contains", "expect.error");
        if (error.ContainsKey("retry_after") && error["retry_after"] != null && !(error["retry_after"] is double && (double)error["retry_after"] >= 0))
            throw Fail("expect.error.retry_after must be null or seconds");
        int partial = new[] { "unconfirmed", "accepted_indices", "cause" }.Count(error.ContainsKey);
        if (partial != 0 && partial != 3) throw Fail("expect.error: unconfirmed, accepted_indices and cause go together");
        if (partial == 3)
        {
            foreach (var key in new[] { "unconfirmed", "accepted_indices" })
            {
                var list = error[key] as List<object>;
                if (list == null || list.Any(i => !(i is double) || (double)i < 0 || Math.Floor((double)i) != (double)i))
                    throw Fail("expect.error.{0} must be a list of indices", key);
            }
            if (!Kinds.ContainsKey(Get(error, "cause") as string ?? "")) throw Fail("expect.error.cause is not a known kind");
        }
    }

    // ---------------------------------------------------------------------------------------
    // Running a case

    static ApiKeyPlacement? Placement(string name)
    {
        if (name == null) return null;
        return name == "body" ? ApiKeyPlacement.Body : ApiKeyPlacement.Query;
    }

    /// <summary>The case's options; null when it sets none (configured from the environment).</summary>
    static ClientOptions Options(Dictionary<string, object> config)
    {
        var options = new ClientOptions
        {
            AppId = Str(config, "app_id", "config"),
            ApiKey = Str(config, "api_key", "config"),
            ApiKeyPlacement = Placement(Str(config, "api_key_in", "config")),
            Username = Str(config, "username", "config"),
            Password = Str(config, "password", "config"),
            MaxRetries = (int?)Whole(config, "max_retries", "config", int.MaxValue),
            RetryUnknownOutcome = config.ContainsKey("retry_unknown_outcome") ? (bool?)(bool)config["retry_unknown_outcome"] : null,
            BatchSize = (int?)Whole(config, "batch_size", "config", int.MaxValue),
            BulkConcurrency = (int?)Whole(config, "bulk_concurrency", "config", int.MaxValue),
        };
        var timeout = Whole(config, "timeout_ms", "config", long.MaxValue);
        if (timeout.HasValue) options.Timeout = TimeSpan.FromMilliseconds(timeout.Value);
        var connect = Whole(config, "connect_timeout_ms", "config", long.MaxValue);
        if (connect.HasValue) options.ConnectTimeout = TimeSpan.FromMilliseconds(connect.Value);
        var baseUrl = Str(config, "base_url", "config");
        if (baseUrl != null) options.BaseUrl = Substitute(baseUrl);
        // The mock is the default peer, unless the case configures the URL through the environment.
        else if (Environment.GetEnvironmentVariable("BOTSPLASH_BASE_URL") == null) options.BaseUrl = mock.Url;
        else if (config.Count == 0) return null;
        return options;
    }

    /// <summary>A case's visitor (wire names) as a Visitor: documented fields go to their typed
    /// properties when the value has that type; anything else (unknown fields, and the wrong
    /// types validation cases send on purpose) goes to Extra under its wire name.</summary>
    static Visitor ToVisitor(object value, string what)
    {
        if (value == null) return null;
        var wire = value as Dictionary<string, object>;
        if (wire == null) throw Fail("{0} is not an object, which a Visitor cannot express", what);
        var v = new Visitor { Extra = new Dictionary<string, object>() };
        foreach (var pair in wire)
        {
            var s = pair.Value as string;
            bool typed = true;
            switch (pair.Key)
            {
                case "phoneNumber": if (s != null) v.PhoneNumber = s; else typed = false; break;
                case "firstName": if (s != null) v.FirstName = s; else typed = false; break;
                case "lastName": if (s != null) v.LastName = s; else typed = false; break;
                case "email": if (s != null) v.Email = s; else typed = false; break;
                case "state": if (s != null) v.State = s; else typed = false; break;
                case "tzName": if (s != null) v.TzName = s; else typed = false; break;
                case "clientVisitorId": if (s != null) v.ClientVisitorId = s; else typed = false; break;
                case "teamCode": if (s != null) v.TeamCode = s; else typed = false; break;
                case "agentClientUserId":
                    var ids = pair.Value as List<object>;
                    if (s != null) v.AgentClientUserId = s;
                    else if (ids != null && ids.Count > 0 && ids.All(i => i is string)) v.AgentClientUserId = ids.Cast<string>().ToArray();
                    else typed = false;
                    break;
                case "deliveryStatus":
                    var d = pair.Value as double?;
                    if (d.HasValue && Math.Floor(d.Value) == d.Value && Math.Abs(d.Value) < 9e15) v.DeliveryStatus = (long)d.Value;
                    else typed = false;
                    break;
                case "extendedAttributes":
                    var attributes = pair.Value as Dictionary<string, object>;
                    if (attributes != null) v.ExtendedAttributes = attributes;
                    else typed = false;
                    break;
                default:
                    typed = false;
                    break;
            }
            if (!typed) v.Extra[pair.Key] = pair.Value;
        }
        return v;
    }

    static object Call(Client client, string operation, Dictionary<string, object> args)
    {
        var listenerId = Get(args, "listener_id") as string;
        var message = Get(args, "message") as string;
        switch (operation)
        {
            case "submit_visitor":
                var visitor = ToVisitor(args["visitor"], "args.visitor");
                if (visitor == null) throw Fail("a null visitor cannot be passed to SubmitVisitor (ArgumentNullException)");
                return client.Listeners.SubmitVisitor(listenerId, visitor, message);
            case "submit_salesforce_visitors":
                var visitors = ((List<object>)args["visitors"]).Select((item, i) => ToVisitor(item, "args.visitors[" + i + "]")).ToList();
                return client.Listeners.SubmitSalesforceVisitors(listenerId, visitors, message);
            case "submit_lendingtree_lead":
                return client.Listeners.SubmitLendingTreeLead(listenerId, (string)args["xml"]);
            default:
                client.Messages.Send((string)args["text"], ToVisitor(Get(args, "visitor"), "args.visitor"));
                return null;
        }
    }

    static List<string> LedgerIds(Dictionary<string, object> ledger)
    {
        var ids = new List<string>();
        foreach (Dictionary<string, object> entry in (List<object>)ledger["requests"])
            if (Get(entry, "accepted") is bool && (bool)entry["accepted"])
                ids.AddRange(((List<object>)entry["request_ids"]).OfType<string>());
        return ids;
    }

    static void CheckResult(string operation, Dictionary<string, object> want, object result, Dictionary<string, object> ledger)
    {
        switch (operation)
        {
            case "submit_visitor":
                var r = (ListenerResult)result;
                if (r.Success != (bool)want["success"]) throw Fail("success = {0}", r.Success);
                var ids = LedgerIds(ledger);
                if (ids.Count == 0 || r.RequestId != ids[ids.Count - 1])
                    throw Fail("request id {0} is not the one the server recorded", r.RequestId);
                break;
            case "submit_salesforce_visitors":
                var results = (IList<ListenerResult>)result;
                if (results.Count != (double)want["count"]) throw Fail("{0} results", results.Count);
                var got = results.Select(x => x == null ? null : x.RequestId).OrderBy(x => x, StringComparer.Ordinal).ToList();
                var recorded = LedgerIds(ledger).OrderBy(x => x, StringComparer.Ordinal).ToList();
                if (!got.SequenceEqual(recorded)) throw Fail("bulk request ids differ from the ledger's");
                break;
            case "submit_lendingtree_lead":
                var lt = (LendingTreeResponse)result;
                if (lt.Status != (double)want["status"]) throw Fail("status {0}", lt.Status);
                var needle = Get(want, "xml_contains") as string ?? "";
                if (lt.Xml == null || !lt.Xml.Contains(needle)) throw Fail("xml {0} lacks {1}", lt.Xml, needle);
                break;
        }
    }

    static string Describe(BotsplashError e)
    {
        return string.Format(CultureInfo.InvariantCulture, "{0} (Code {1}, HttpStatus {2}, Retries {3}, OutcomeUnknown {4}, RetryAfter {5}): {6}",
            e.GetType().Name, e.Code, e.HttpStatus.HasValue ? e.HttpStatus.Value.ToString(CultureInfo.InvariantCulture) : "null",
            e.Retries, e.OutcomeUnknown, e.RetryAfter.HasValue ? e.RetryAfter.Value.TotalSeconds + " s" : "null", e.Message);
    }

    static void CheckError(Dictionary<string, object> want, BotsplashError e)
    {
        var kind = Kinds[(string)want["kind"]];
        if (e.GetType() != kind.Key || e.Code != kind.Value) throw Fail("kind differs: {0}", Describe(e));
        var status = want["status"];
        if (status == null ? e.HttpStatus.HasValue : !e.HttpStatus.HasValue || e.HttpStatus.Value != (double)status)
            throw Fail("status differs: {0}", Describe(e));
        if (e.OutcomeUnknown != (bool)want["outcome_unknown"] || e.Retries != (double)want["retries"])
            throw Fail("outcome_unknown/retries differ: {0}", Describe(e));
        if (want.ContainsKey("field_paths"))
        {
            var got = e.FieldErrors.Select(f => f.Path).ToList();
            if (!got.SequenceEqual(((List<object>)want["field_paths"]).Cast<string>()))
                throw Fail("field paths {0}", Show(got));
        }
        var needle = Get(want, "message_contains") as string;
        if (needle != null && !e.Message.Contains(needle)) throw Fail("message differs: {0}", Describe(e));
        if (want.ContainsKey("retry_after"))
        {
            var ra = want["retry_after"];
            var expected = ra == null ? (TimeSpan?)null : TimeSpan.FromSeconds((double)ra);
            if (e.RetryAfter != expected) throw Fail("retry_after differs: {0}", Describe(e));
        }
        if (want.ContainsKey("unconfirmed"))
        {
            var partial = e as PartialBulkError;
            if (partial == null) throw Fail("no partial details: {0}", Describe(e));
            var accepted = partial.Results.Select((r, i) => r == null ? -1 : i).Where(i => i >= 0).ToList();
            var wantUnconfirmed = ((List<object>)want["unconfirmed"]).Select(i => (int)(double)i);
            var wantAccepted = ((List<object>)want["accepted_indices"]).Select(i => (int)(double)i);
            if (!partial.Unconfirmed.SequenceEqual(wantUnconfirmed) || !accepted.SequenceEqual(wantAccepted)
                || partial.CauseCode != Kinds[(string)want["cause"]].Value)
                throw Fail("partial details differ: unconfirmed {0}, accepted {1}, cause {2}",
                    Show(partial.Unconfirmed), Show(accepted), partial.CauseCode ?? "null");
        }
    }

    static void CheckLedger(Dictionary<string, object> want, Dictionary<string, object> ledger)
    {
        if (!JsonEquals(Get(ledger, "total"), want["total"])) throw Fail("the server received {0} requests", Show(Get(ledger, "total")));
        var entries = (List<object>)ledger["requests"];
        var expected = Get(want, "requests") as List<object> ?? new List<object>();
        for (int i = 0; i < expected.Count; i++)
        {
            if (i >= entries.Count) throw Fail("no ledger entry {0}", i);
            var got = (Dictionary<string, object>)entries[i];
            foreach (var pair in (Dictionary<string, object>)expected[i])
            {
                object value;
                if (!got.TryGetValue(pair.Key, out value) || !JsonEquals(value, pair.Value))
                    throw Fail("ledger entry {0}: {1} = {2}, expected {3}", i, pair.Key, got.ContainsKey(pair.Key) ? Show(value) : "(missing)", Show(pair.Value));
            }
        }
    }

    static void RunCase(Dictionary<string, object> kase)
    {
        ControlOk("DELETE", "/__mock/requests", null, "clearing the ledger");
        ControlOk("DELETE", "/__mock/faults", null, "clearing the faults");
        SetEnvironment(Get(kase, "env") as Dictionary<string, object>);
        var faults = Get(kase, "faults") as List<object>;
        if (faults != null && faults.Count > 0)
            ControlOk("POST", "/__mock/faults", Json.Write(new Dictionary<string, object> { { "faults", faults } }), "the mock refused the faults");

        var operation = (string)kase["operation"];
        object result = null;
        BotsplashError error = null;
        try
        {
            var options = Options((Dictionary<string, object>)kase["config"]);
            // No option at all: the documented way to take everything from BOTSPLASH_*.
            using (var client = options == null ? new Client() : new Client(options))
                result = Call(client, operation, (Dictionary<string, object>)kase["args"]);
        }
        catch (BotsplashError e)
        {
            error = e;
        }
        var ledger = Obj(Json.Parse(ControlOk("GET", "/__mock/requests", null, "reading the ledger")), "the ledger");
        var expect = (Dictionary<string, object>)kase["expect"];
        if (expect.ContainsKey("result"))
        {
            if (error != null) throw Fail("failed, but a result was expected: {0}", Describe(error));
            CheckResult(operation, (Dictionary<string, object>)expect["result"], result, ledger);
        }
        else
        {
            if (error == null) throw Fail("succeeded, but an error was expected");
            CheckError((Dictionary<string, object>)expect["error"], error);
        }
        CheckLedger((Dictionary<string, object>)kase["ledger"], ledger);
    }

    static string CasesDir(string[] args)
    {
        if (args.Length > 0) return args[0];
        foreach (var candidate in new[] { "conformance/cases", "../conformance/cases" })
            if (Directory.Exists(candidate)) return candidate;
        return null;
    }

    static int Main(string[] args)
    {
        var dir = CasesDir(args);
        if (dir == null || !Directory.Exists(dir))
        {
            Console.Error.WriteLine("conformance cases not found ({0}): pass their directory as the argument", dir ?? "no candidate");
            return 2;
        }
        var files = Directory.GetFiles(dir, "*.json").OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList();
        // A suite that shrank by accident must not pass quietly (the Rust and Node runners agree).
        if (files.Count < 40)
        {
            Console.Error.WriteLine("expected at least 40 cases in {0}, found {1}", dir, files.Count);
            return 2;
        }
        int passed = 0, failed = 0;
        try
        {
            try
            {
                // The mock's defaults, as the README asks of every runner (any listener id).
                mock = MockServer.Start();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine("cannot start botsplash-mock: " + e.Message);
                return 2;
            }
            foreach (var file in files)
            {
                var name = Path.GetFileNameWithoutExtension(file);
                string problem = null;
                try
                {
                    var kase = Obj(Json.Parse(File.ReadAllText(file, Encoding.UTF8)), "a case");
                    CheckShape(kase, name);
                    RunCase(kase);
                }
                catch (CaseFailure e)
                {
                    problem = e.Message;
                }
                catch (Exception e)
                {
                    problem = "unexpected " + e.GetType().Name + ": " + e.Message;
                }
                if (problem == null)
                {
                    passed++;
                    continue;
                }
                failed++;
                // One line per failed case, whatever a server or library message contains.
                Console.WriteLine("FAIL " + name + ": " + problem.Replace('\n', ' ').Replace('\r', ' '));
            }
        }
        finally
        {
            if (mock != null) mock.Dispose();
        }
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
