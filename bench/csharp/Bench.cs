// C# side of the SDK benchmarks (driven by bench/run.sh; prints one JSON document).
//
//   mono Bench.exe seq  --url BASE --listener ID --message TEXT --visitor JSON --body JSON [--n N] [--warmup W] [--rounds R]
//       sequential keep-alive New Visitor posts: Botsplash.Client (P/Invoke into libbotsplash)
//       vs System.Net.Http.HttpClient; the cases alternate round by round
//   mono Bench.exe bulk --url BASE --listener ID --message TEXT --visitor JSON [--count N]
//       N visitors through SubmitSalesforceVisitors: wall time and peak RSS
//
// Inputs come from bench/payload.json through bench/payload.py. Every answer is checked.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Text;
using Botsplash;

static class Bench
{
    const string AppId = "demo-app";
    const string ApiKey = "demo-key";

    static Dictionary<string, string> opts = new Dictionary<string, string>();

    static string Opt(string name, string fallback = null)
    {
        string v;
        if (opts.TryGetValue(name, out v)) return v;
        if (fallback == null) throw new ArgumentException("missing option --" + name);
        return fallback;
    }

    static int Num(string name, int fallback)
    {
        return int.Parse(Opt(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
    }

    static string F(double x)
    {
        return x.ToString("0.###", CultureInfo.InvariantCulture);
    }

    static string Round(List<double> latUs, double seconds, double cpuUs, int errors)
    {
        latUs.Sort();
        int n = latUs.Count;
        Func<double, double> pct = p => n == 0 ? 0 : latUs[Math.Min(Math.Max((int)Math.Ceiling(p * n), 1), n) - 1];
        return "{\"calls\":" + n + ",\"seconds\":" + F(seconds) + ",\"calls_per_s\":" + F(n / seconds) +
               ",\"p50_us\":" + F(pct(0.50)) + ",\"p99_us\":" + F(pct(0.99)) + ",\"cpu_us_per_call\":" +
               F(n == 0 ? 0 : cpuUs / n) + ",\"errors\":" + errors + ",\"concurrency\":1}";
    }

    static string Timed(Func<bool> call, int n, int warmup)
    {
        int errors = 0;
        for (int i = 0; i < warmup; i++) if (!Safe(call)) errors++;
        var lat = new List<double>(n);
        var proc = Process.GetCurrentProcess();
        proc.Refresh();
        TimeSpan cpu0 = proc.TotalProcessorTime;
        double tick = 1e6 / Stopwatch.Frequency;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < n; i++)
        {
            long t = Stopwatch.GetTimestamp();
            if (!Safe(call)) errors++;
            lat.Add((Stopwatch.GetTimestamp() - t) * tick);
        }
        double seconds = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
        proc.Refresh();
        double cpuUs = (proc.TotalProcessorTime - cpu0).TotalMilliseconds * 1000;
        return Round(lat, seconds, cpuUs, errors);
    }

    static bool Safe(Func<bool> call)
    {
        try { return call(); }
        catch (BotsplashError) { return false; }
        catch (HttpRequestException) { return false; }
        catch (AggregateException) { return false; }
    }

    static Visitor ToVisitor(Dictionary<string, object> v)
    {
        Func<string, string> s = k => v.ContainsKey(k) ? v[k] as string : null;
        var visitor = new Visitor
        {
            PhoneNumber = s("phoneNumber"),
            FirstName = s("firstName"),
            LastName = s("lastName"),
            Email = s("email"),
            State = s("state"),
            TzName = s("tzName"),
            ClientVisitorId = s("clientVisitorId"),
            AgentClientUserId = v.ContainsKey("agentClientUserId") ? v["agentClientUserId"] : null,
            TeamCode = s("teamCode"),
        };
        if (v.ContainsKey("deliveryStatus")) visitor.DeliveryStatus = Convert.ToInt64(v["deliveryStatus"], CultureInfo.InvariantCulture);
        if (v.ContainsKey("extendedAttributes")) visitor.ExtendedAttributes = (Dictionary<string, object>)v["extendedAttributes"];
        return visitor;
    }

    static Client NewClient()
    {
        return new Client(new ClientOptions { AppId = AppId, ApiKey = ApiKey, BaseUrl = Opt("url") });
    }

    static void Seq()
    {
        string listener = Opt("listener"), message = Opt("message"), body = Opt("body");
        int n = Num("n", 5000), nSdk = Num("n-sdk", n), warmup = Num("warmup", 500), rounds = Num("rounds", 3);
        Visitor visitor = ToVisitor((Dictionary<string, object>)MiniJson.Parse(Opt("visitor")));
        string url = Opt("url").TrimEnd('/') + "/" + AppId + "/listener/botsplash/" + listener + "?api_key=" + ApiKey;

        using (var client = NewClient())
        using (var http = new HttpClient())
        {
            http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
            Func<bool> sdk = () =>
            {
                ListenerResult r = client.Listeners.SubmitVisitor(listener, visitor, message);
                return r != null && r.Success && !string.IsNullOrEmpty(r.RequestId);
            };
            Func<bool> baseline = () =>
            {
                using (var content = new StringContent(body, Encoding.UTF8, "application/json"))
                using (HttpResponseMessage res = http.PostAsync(url, content).GetAwaiter().GetResult())
                {
                    string text = res.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                    return (int)res.StatusCode == 200 && text.Contains("\"requestId\":\"");
                }
            };
            var sdkRounds = new List<string>();
            var baseRounds = new List<string>();
            for (int r = 0; r < rounds; r++)
            {
                sdkRounds.Add(Timed(sdk, nSdk, warmup));
                baseRounds.Add(Timed(baseline, n, warmup));
            }
            Console.WriteLine("{\"suite\":\"sequential\",\"language\":\"csharp\",\"cases\":[" +
                "{\"id\":\"csharp-sdk\",\"label\":\"C# Botsplash.Client (Mono)\",\"role\":\"sdk\",\"language\":\"csharp\",\"concurrency\":1,\"rounds\":[" +
                string.Join(",", sdkRounds) + "]}," +
                "{\"id\":\"csharp-httpclient\",\"label\":\"HttpClient (Mono)\",\"role\":\"baseline\",\"language\":\"csharp\",\"concurrency\":1,\"rounds\":[" +
                string.Join(",", baseRounds) + "]}]}");
        }
    }

    static long StatusBytes(string field)
    {
        foreach (string line in File.ReadAllLines("/proc/self/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line.Substring(field.Length).Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    static IEnumerable<Visitor> Generate(Dictionary<string, object> template, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Visitor v = ToVisitor(template);
            v.PhoneNumber = "+1704" + i.ToString("D7", CultureInfo.InvariantCulture);
            v.ClientVisitorId = "crm-" + i.ToString(CultureInfo.InvariantCulture);
            v.Email = "lead" + i.ToString(CultureInfo.InvariantCulture) + "@example.com";
            yield return v;
        }
    }

    static void Bulk()
    {
        string listener = Opt("listener"), message = Opt("message");
        int count = Num("count", 100000);
        var template = (Dictionary<string, object>)MiniJson.Parse(Opt("visitor"));
        using (var client = NewClient())
        {
            long rssStart = StatusBytes("VmRSS:");
            // Lazy, as rows come from a data reader (the API takes any IEnumerable<Visitor>):
            // the peak RSS is then the SDK's own, not that of 100k objects built first.
            IEnumerable<Visitor> visitors = Generate(template, count);
            long rssInput = StatusBytes("VmRSS:");
            var watch = Stopwatch.StartNew();
            int accepted = 0;
            string error = "null";
            try
            {
                foreach (ListenerResult r in client.Listeners.SubmitSalesforceVisitors(listener, visitors, message))
                    if (r.Success) accepted++;
            }
            catch (BotsplashError e)
            {
                error = "\"" + e.GetType().Name + "\"";
            }
            double seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine("{\"suite\":\"bulk\",\"language\":\"csharp\",\"cases\":[{\"id\":\"csharp-bulk\",\"label\":\"C# Client (Mono)\"," +
                "\"language\":\"csharp\",\"visitors\":" + count + ",\"accepted\":" + accepted + ",\"error\":" + error +
                ",\"seconds\":" + F(seconds) + ",\"rss_start_bytes\":" + rssStart + ",\"rss_input_bytes\":" + rssInput +
                ",\"peak_rss_bytes\":" + StatusBytes("VmHWM:") + ",\"input\":\"a lazy IEnumerable<Visitor>\"}]}");
        }
    }

    static int Main(string[] args)
    {
        if (args.Length < 1 || (args[0] != "seq" && args[0] != "bulk"))
        {
            Console.Error.WriteLine("usage: mono Bench.exe seq|bulk --url BASE ...");
            return 2;
        }
        for (int i = 1; i + 1 < args.Length; i += 2) opts[args[i].TrimStart('-')] = args[i + 1];
        if (args[0] == "seq") Seq(); else Bulk();
        return 0;
    }
}

/// <summary>Reads the benchmark's own JSON inputs (objects, arrays, strings, numbers,
/// literals); the base class library on Mono has no JSON reader.</summary>
static class MiniJson
{
    public static object Parse(string text)
    {
        int i = 0;
        object v = Value(text, ref i);
        Skip(text, ref i);
        if (i != text.Length) throw new FormatException("trailing characters in JSON");
        return v;
    }

    static void Skip(string s, ref int i)
    {
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
    }

    static object Value(string s, ref int i)
    {
        Skip(s, ref i);
        if (i >= s.Length) throw new FormatException("unexpected end of JSON");
        char c = s[i];
        if (c == '{')
        {
            var obj = new Dictionary<string, object>();
            i++;
            Skip(s, ref i);
            if (s[i] == '}') { i++; return obj; }
            while (true)
            {
                Skip(s, ref i);
                string key = Str(s, ref i);
                Skip(s, ref i);
                if (s[i++] != ':') throw new FormatException("expected ':'");
                obj[key] = Value(s, ref i);
                Skip(s, ref i);
                if (s[i] == ',') { i++; continue; }
                if (s[i++] == '}') return obj;
                throw new FormatException("expected ',' or '}'");
            }
        }
        if (c == '[')
        {
            var list = new List<object>();
            i++;
            Skip(s, ref i);
            if (s[i] == ']') { i++; return list; }
            while (true)
            {
                list.Add(Value(s, ref i));
                Skip(s, ref i);
                if (s[i] == ',') { i++; continue; }
                if (s[i++] == ']') return list;
                throw new FormatException("expected ',' or ']'");
            }
        }
        if (c == '"') return Str(s, ref i);
        foreach (var lit in new[] { "true", "false", "null" })
            if (string.CompareOrdinal(s, i, lit, 0, lit.Length) == 0)
            {
                i += lit.Length;
                return lit == "null" ? null : (object)(lit == "true");
            }
        int start = i;
        while (i < s.Length && "+-0123456789.eE".IndexOf(s[i]) >= 0) i++;
        string num = s.Substring(start, i - start);
        long whole;
        if (long.TryParse(num, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out whole)) return whole;
        return double.Parse(num, CultureInfo.InvariantCulture);
    }

    static string Str(string s, ref int i)
    {
        if (s[i++] != '"') throw new FormatException("expected a string");
        var sb = new StringBuilder();
        while (s[i] != '"')
        {
            char c = s[i++];
            if (c != '\\') { sb.Append(c); continue; }
            char e = s[i++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u': sb.Append((char)Convert.ToInt32(s.Substring(i, 4), 16)); i += 4; break;
                default: sb.Append(e); break;
            }
        }
        i++;
        return sb.ToString();
    }
}
