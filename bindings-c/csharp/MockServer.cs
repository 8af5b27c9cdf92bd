// The botsplash-mock process and its /__mock control API, shared by the C# test programs
// (Tests.cs and Conformance.cs): bindings-c/test.sh compiles this file into each of them.
// The counterpart of tests/mock_server.h for the C programs.

using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Text;

/// <summary>A botsplash-mock on a free loopback port; Dispose stops it.</summary>
sealed class MockServer : IDisposable
{
    readonly Process process;
    bool stopped;

    /// <summary>The API base URL, "http://127.0.0.1:PORT".</summary>
    public string Url { get; private set; }

    MockServer(Process process, string url)
    {
        this.process = process;
        Url = url;
    }

    /// <summary>$BOTSPLASH_MOCK_BIN, else the cargo build output seen from the repository root,
    /// bindings-c/ or bindings-c/csharp/.</summary>
    static string Binary()
    {
        var env = Environment.GetEnvironmentVariable("BOTSPLASH_MOCK_BIN");
        if (!string.IsNullOrEmpty(env)) return env;
        foreach (var candidate in new[] { "target/debug/botsplash-mock", "../target/debug/botsplash-mock", "../../target/debug/botsplash-mock" })
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        throw new Exception("botsplash-mock not found: build it (cargo build -p botsplash-mock) or set BOTSPLASH_MOCK_BIN");
    }

    /// <summary>Starts the mock with "--port 0" and `extraArgs` (none: the mock's defaults) and
    /// reads its URL from the first line it prints. Its stderr is dropped unless
    /// BOTSPLASH_TEST_VERBOSE is set. Throws, with nothing left running, if it does not start.</summary>
    public static MockServer Start(params string[] extraArgs)
    {
        var arguments = new StringBuilder("--port 0");
        foreach (var arg in extraArgs)
        {
            // ProcessStartInfo takes one command line; these plain words need no quoting rules.
            if (arg.Length == 0 || arg.IndexOfAny(new[] { ' ', '\t', '\n', '"', '\'', '\\' }) >= 0)
                throw new ArgumentException("mock argument needs quoting: " + arg);
            arguments.Append(' ').Append(arg);
        }
        bool verbose = Environment.GetEnvironmentVariable("BOTSPLASH_TEST_VERBOSE") != null;
        var info = new ProcessStartInfo(Binary(), arguments.ToString())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = !verbose,
        };
        var process = Process.Start(info);
        try
        {
            if (!verbose)
            {
                // Read and dropped, so that a chatty mock never blocks on a full pipe.
                process.ErrorDataReceived += (s, e) => { };
                process.BeginErrorReadLine();
            }
            var line = process.StandardOutput.ReadLine() ?? "";
            const string prefix = "listening on ";
            if (!line.StartsWith(prefix, StringComparison.Ordinal)) throw new Exception("unexpected first line from the mock: " + line);
            return new MockServer(process, line.Substring(prefix.Length).Trim());
        }
        catch
        {
            Stop(process);
            throw;
        }
    }

    static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        process.WaitForExit();
        process.Dispose();
    }

    public void Dispose()
    {
        if (stopped) return;
        stopped = true;
        Stop(process);
    }

    /// <summary>One control request; returns the HTTP status and the body, whatever the status.
    /// Throws WebException when there is no answer at all.</summary>
    public int Control(string method, string path, string body, out string answer)
    {
        var request = (HttpWebRequest)WebRequest.Create(Url + path);
        request.Method = method;
        request.Proxy = null;
        if (body != null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            request.ContentType = "application/json";
            request.ContentLength = bytes.Length;
            using (var stream = request.GetRequestStream()) stream.Write(bytes, 0, bytes.Length);
        }
        HttpWebResponse response;
        try
        {
            response = (HttpWebResponse)request.GetResponse();
        }
        catch (WebException e)
        {
            response = e.Response as HttpWebResponse;
            if (response == null) throw;
        }
        using (response)
        using (var reader = new StreamReader(response.GetResponseStream(), Encoding.UTF8))
        {
            answer = reader.ReadToEnd();
            return (int)response.StatusCode;
        }
    }
}
