// Botsplash SDK for C#: a thin wrapper over libbotsplash (the C ABI of the Rust core).
//
// Everything the SDK does (configuration checks, validation, HTTP, retries, error mapping)
// happens in the native library; this file converts values and turns status codes into
// exceptions. Strings the library returns are read with Marshal.PtrToStringUTF8 and freed with
// bs_string_free (never by the marshaller, which would use the wrong allocator).
//
// Build: mcs -target:library -out:Botsplash.dll Botsplash.cs
// Run:   libbotsplash.so must be on the library path (LD_LIBRARY_PATH or beside the .exe).

using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Botsplash
{
    /// <summary>Where the API key goes on each request.</summary>
    public enum ApiKeyPlacement
    {
        /// <summary><c>?api_key=...</c> in the query string (the API's documented default).</summary>
        Query = 0,
        /// <summary>A top-level <c>api_key</c> field of the JSON body.</summary>
        Body = 1,
    }

    /// <summary>
    /// Client options. Anything left null falls back to the <c>BOTSPLASH_*</c> environment
    /// variables, then to the documented defaults. Bad options throw <see cref="ConfigError"/>
    /// when the client is built.
    /// </summary>
    public sealed class ClientOptions
    {
        public string AppId { get; set; }
        public string ApiKey { get; set; }
        /// <summary>Where the key goes; null = <c>BOTSPLASH_API_KEY_IN</c>, else the query string.</summary>
        public ApiKeyPlacement? ApiKeyPlacement { get; set; }
        public string Username { get; set; }
        public string Password { get; set; }
        /// <summary>Default <c>https://api.botsplash.com/open/v1</c>.</summary>
        public string BaseUrl { get; set; }
        /// <summary>Time allowed for one attempt (default 30 s).</summary>
        public TimeSpan? Timeout { get; set; }
        /// <summary>Time allowed to connect (default 5 s).</summary>
        public TimeSpan? ConnectTimeout { get; set; }
        /// <summary>Retries of failures that are safe to retry (default 2).</summary>
        public int? MaxRetries { get; set; }
        /// <summary>Also retry when the server may have processed the request (default false:
        /// a resent lead can text a person twice).</summary>
        public bool? RetryUnknownOutcome { get; set; }
        /// <summary>Visitors per request of a bulk submission (default 100).</summary>
        public int? BatchSize { get; set; }
        /// <summary>Bulk batches in flight at once (default 4).</summary>
        public int? BulkConcurrency { get; set; }

        public override string ToString()
        {
            // Never the secrets.
            return string.Format("ClientOptions(AppId={0}, Auth={1}, BaseUrl={2})", AppId,
                ApiKey != null ? "api_key" : Username != null ? "basic" : "environment", BaseUrl);
        }
    }

    /// <summary>One person to engage (the API's VisitorNewSubmit). Only PhoneNumber is required
    /// for listener posts; null properties are not sent.</summary>
    public sealed class Visitor
    {
        public string PhoneNumber { get; set; }
        public string FirstName { get; set; }
        public string LastName { get; set; }
        public string Email { get; set; }
        /// <summary>US state, DC or territory code such as "NC".</summary>
        public string State { get; set; }
        /// <summary>IANA time zone such as "America/New_York".</summary>
        public string TzName { get; set; }
        /// <summary>Your CRM's id for the person.</summary>
        public string ClientVisitorId { get; set; }
        /// <summary>A string, or a list of strings with the primary agent first.</summary>
        public object AgentClientUserId { get; set; }
        public string TeamCode { get; set; }
        /// <summary>202 overrides earlier unsubscribes for a new campaign.</summary>
        public long? DeliveryStatus { get; set; }
        /// <summary>Free-form attributes, sent exactly as given.</summary>
        public IDictionary<string, object> ExtendedAttributes { get; set; }
        /// <summary>Fields this SDK does not know yet, sent under the given (wire) names.</summary>
        public IDictionary<string, object> Extra { get; set; }

        internal Dictionary<string, object> ToWire()
        {
            var wire = new Dictionary<string, object>();
            if (Extra != null)
                foreach (var pair in Extra) wire[pair.Key] = pair.Value;
            Put(wire, "clientVisitorId", ClientVisitorId);
            Put(wire, "agentClientUserId", AgentClientUserId);
            Put(wire, "teamCode", TeamCode);
            Put(wire, "firstName", FirstName);
            Put(wire, "lastName", LastName);
            Put(wire, "email", Email);
            Put(wire, "phoneNumber", PhoneNumber);
            Put(wire, "state", State);
            Put(wire, "tzName", TzName);
            Put(wire, "deliveryStatus", DeliveryStatus);
            Put(wire, "extendedAttributes", ExtendedAttributes);
            return wire;
        }

        static void Put(Dictionary<string, object> wire, string name, object value)
        {
            if (value != null) wire[name] = value;
        }
    }

    /// <summary>The server accepted a visitor under this request id.</summary>
    public sealed class ListenerResult
    {
        public bool Success { get; private set; }
        public string RequestId { get; private set; }

        internal static ListenerResult FromJson(object value)
        {
            var obj = value as Dictionary<string, object>;
            if (obj == null) return null;
            return new ListenerResult
            {
                Success = obj.ContainsKey("success") && obj["success"] is bool && (bool)obj["success"],
                RequestId = obj.ContainsKey("requestId") ? obj["requestId"] as string : null,
            };
        }

        public override string ToString()
        {
            return string.Format("ListenerResult(Success={0}, RequestId={1})", Success, RequestId);
        }
    }

    /// <summary>The LendingTree endpoint's answer: its HTTP status and XML, as received.</summary>
    public sealed class LendingTreeResponse
    {
        public int Status { get; private set; }
        public string Xml { get; private set; }

        internal LendingTreeResponse(int status, string xml)
        {
            Status = status;
            Xml = xml;
        }
    }

    /// <summary>One invalid input field: where (<c>visitors[3].tzName</c>) and what is wrong.</summary>
    public sealed class FieldError
    {
        public string Path { get; private set; }
        public string Message { get; private set; }

        internal FieldError(string path, string message)
        {
            Path = path;
            Message = message;
        }

        public override string ToString()
        {
            return Path + ": " + Message;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Errors: one class per kind, with the same names as in every other language.

    /// <summary>The base of every SDK error.</summary>
    public class BotsplashError : Exception
    {
        /// <summary>The kind as an upper-case code ("RATE_LIMITED"), as in Node's error.code.</summary>
        public string Code { get; private set; }
        /// <summary>The HTTP status of the failing answer, if there was one.</summary>
        public int? HttpStatus { get; private set; }
        /// <summary>The x-request-id of the failing answer, if any.</summary>
        public string RequestId { get; private set; }
        /// <summary>Retries made before giving up.</summary>
        public int Retries { get; private set; }
        /// <summary>True when the request may have been processed: do not blindly resend a lead.</summary>
        public bool OutcomeUnknown { get; private set; }
        /// <summary>For rate limiting: how long the server asked to wait.</summary>
        public TimeSpan? RetryAfter { get; private set; }
        /// <summary>For validation errors: every invalid field with its path.</summary>
        public IList<FieldError> FieldErrors { get; private set; }

        public BotsplashError(string message) : base(message)
        {
            Code = "INTERNAL";
            FieldErrors = new List<FieldError>().AsReadOnly();
        }

        internal void Fill(Dictionary<string, object> json)
        {
            Code = Json.Str(json, "code") ?? Code;
            var status = Json.Num(json, "status");
            HttpStatus = status.HasValue ? (int?)(int)status.Value : null;
            RequestId = Json.Str(json, "request_id");
            Retries = (int)(Json.Num(json, "retries") ?? 0);
            OutcomeUnknown = json.ContainsKey("outcome_unknown") && json["outcome_unknown"] is bool && (bool)json["outcome_unknown"];
            var retryAfter = Json.Num(json, "retry_after");
            RetryAfter = retryAfter.HasValue ? (TimeSpan?)TimeSpan.FromSeconds(retryAfter.Value) : null;
            var fields = new List<FieldError>();
            var list = json.ContainsKey("field_errors") ? json["field_errors"] as List<object> : null;
            if (list != null)
                foreach (var item in list)
                {
                    var f = item as Dictionary<string, object>;
                    if (f != null) fields.Add(new FieldError(Json.Str(f, "path"), Json.Str(f, "message")));
                }
            FieldErrors = fields.AsReadOnly();
        }
    }

    /// <summary>Bad client options, found when the client is built.</summary>
    public class ConfigError : BotsplashError { public ConfigError(string message) : base(message) { } }
    /// <summary>Bad input, found before anything was sent; see FieldErrors.</summary>
    public class ValidationError : BotsplashError { public ValidationError(string message) : base(message) { } }
    /// <summary>HTTP 401 or 403.</summary>
    public class AuthenticationError : BotsplashError { public AuthenticationError(string message) : base(message) { } }
    /// <summary>HTTP 404: unknown app or listener.</summary>
    public class NotFoundError : BotsplashError { public NotFoundError(string message) : base(message) { } }
    /// <summary>HTTP 429 that retries did not get past; see RetryAfter.</summary>
    public class RateLimitError : BotsplashError { public RateLimitError(string message) : base(message) { } }
    /// <summary>Any other non-2xx answer.</summary>
    public class APIError : BotsplashError { public APIError(string message) : base(message) { } }
    /// <summary>No answer in time.</summary>
    public class APITimeoutError : BotsplashError { public APITimeoutError(string message) : base(message) { } }
    /// <summary>Could not connect, or the connection was lost.</summary>
    public class APIConnectionError : BotsplashError { public APIConnectionError(string message) : base(message) { } }
    /// <summary>The answer is not what the API documents.</summary>
    public class DecodeError : BotsplashError { public DecodeError(string message) : base(message) { } }

    /// <summary>A bulk submission of which some batches were accepted and others not.</summary>
    public class PartialBulkError : BotsplashError
    {
        /// <summary>One entry per input visitor: its result if confirmed, else null.</summary>
        public IList<ListenerResult> Results { get; private set; }
        /// <summary>Indices of the visitors not confirmed (check OutcomeUnknown before resending).</summary>
        public IList<int> Unconfirmed { get; private set; }
        /// <summary>The <see cref="BotsplashError.Code"/> of the batch failure that stopped the
        /// submission ("API", "RATE_LIMITED", ...), as in Node's <c>causeCode</c>.</summary>
        public string CauseCode { get; private set; }

        public PartialBulkError(string message) : base(message)
        {
            Results = new List<ListenerResult>().AsReadOnly();
            Unconfirmed = new List<int>().AsReadOnly();
        }

        internal void FillPartial(Dictionary<string, object> partial)
        {
            var results = new List<ListenerResult>();
            var unconfirmed = new List<int>();
            var r = partial.ContainsKey("results") ? partial["results"] as List<object> : null;
            if (r != null) foreach (var item in r) results.Add(ListenerResult.FromJson(item));
            var u = partial.ContainsKey("unconfirmed") ? partial["unconfirmed"] as List<object> : null;
            if (u != null) foreach (var item in u) if (item is double) unconfirmed.Add((int)(double)item);
            Results = results.AsReadOnly();
            Unconfirmed = unconfirmed.AsReadOnly();
            // The library names the cause by its kind ("rate_limited"); codes are the kinds in
            // upper case, except the partial kind itself, which is never a cause.
            var cause = Json.Str(partial, "cause");
            CauseCode = cause == null ? null : cause.ToUpperInvariant();
        }
    }

    // ------------------------------------------------------------------------------------------
    // The client

    /// <summary>
    /// The Botsplash client. Thread-safe: share one instance; each calling thread gets its own
    /// connection pool inside the native library. Dispose it to close its connections.
    /// </summary>
    public sealed class Client : IDisposable
    {
        readonly ClientHandle handle;

        /// <summary>The listener endpoints (visitor and lead submission).</summary>
        public Listeners Listeners { get; private set; }
        /// <summary>The message endpoint.</summary>
        public Messages Messages { get; private set; }

        /// <summary>The native library's version.</summary>
        public static string Version
        {
            get { return Marshal.PtrToStringUTF8(Native.bs_version()); }
        }

        /// <summary>Builds a client; with no options (or null ones) everything comes from the
        /// BOTSPLASH_* environment variables.</summary>
        /// <exception cref="ConfigError">The options (or the environment) are not usable.</exception>
        public Client(ClientOptions options = null)
        {
            options = options ?? new ClientOptions();
            IntPtr cfg = Native.bs_config_new();
            if (cfg == IntPtr.Zero) throw new BotsplashError("libbotsplash could not allocate a config");
            try
            {
                // Setter results are not checked one by one: the library remembers a bad
                // argument and bs_client_new reports it as a ConfigError.
                Native.bs_config_set_language(cfg, "csharp");
                if (options.AppId != null) Native.bs_config_set_app_id(cfg, options.AppId);
                if (options.ApiKey != null) Native.bs_config_set_api_key(cfg, options.ApiKey, (uint)(options.ApiKeyPlacement ?? Botsplash.ApiKeyPlacement.Query));
                // With the key from the environment, the placement still applies.
                if (options.ApiKey == null && options.ApiKeyPlacement.HasValue) Native.bs_config_set_api_key_placement(cfg, (uint)options.ApiKeyPlacement.Value);
                // A missing half is sent as "", which the library refuses with a ConfigError
                // that names the problem.
                if (options.Username != null || options.Password != null)
                    Native.bs_config_set_basic_auth(cfg, options.Username ?? "", options.Password ?? "");
                if (options.BaseUrl != null) Native.bs_config_set_base_url(cfg, options.BaseUrl);
                if (options.Timeout.HasValue) Native.bs_config_set_timeout_ms(cfg, Millis(options.Timeout.Value));
                if (options.ConnectTimeout.HasValue) Native.bs_config_set_connect_timeout_ms(cfg, Millis(options.ConnectTimeout.Value));
                // Negative numbers are passed as values the library refuses, so that the
                // ConfigError (and its wording) comes from the one place that checks options.
                if (options.MaxRetries.HasValue)
                    Native.bs_config_set_max_retries(cfg, options.MaxRetries.Value < 0 ? uint.MaxValue : (uint)options.MaxRetries.Value);
                if (options.RetryUnknownOutcome.HasValue) Native.bs_config_set_retry_unknown_outcome(cfg, options.RetryUnknownOutcome.Value);
                if (options.BatchSize.HasValue) Native.bs_config_set_batch_size(cfg, Count(options.BatchSize.Value));
                if (options.BulkConcurrency.HasValue) Native.bs_config_set_bulk_concurrency(cfg, Count(options.BulkConcurrency.Value));

                ClientHandle created;
                IntPtr err;
                int status = Native.bs_client_new(cfg, out created, out err);
                Errors.Check(status, err);
                handle = created;
            }
            finally
            {
                Native.bs_config_free(cfg);
            }
            Listeners = new Listeners(this);
            Messages = new Messages(this);
        }

        static ulong Millis(TimeSpan t)
        {
            return t <= TimeSpan.Zero ? 0UL : (ulong)Math.Ceiling(t.TotalMilliseconds);
        }

        static UIntPtr Count(int n)
        {
            return new UIntPtr(n < 0 ? 0u : (uint)n);
        }

        internal void ThrowIfDisposed()
        {
            if (handle.IsClosed) throw new ObjectDisposedException("Botsplash.Client");
        }

        internal ClientHandle Handle
        {
            get
            {
                if (handle.IsClosed) throw new ObjectDisposedException("Botsplash.Client");
                return handle;
            }
        }

        public void Dispose()
        {
            handle.Dispose();
        }
    }

    /// <summary><c>client.Listeners</c>: New Visitor, SalesForce and LendingTree posts.</summary>
    public sealed class Listeners
    {
        readonly Client client;

        internal Listeners(Client client)
        {
            this.client = client;
        }

        /// <summary>Submits one visitor to a listener, with an optional first message.</summary>
        public ListenerResult SubmitVisitor(string listenerId, Visitor visitor, string message = null)
        {
            if (listenerId == null) throw new ArgumentNullException("listenerId");
            if (visitor == null) throw new ArgumentNullException("visitor");
            IntPtr result, err;
            int status = Native.bs_submit_visitor(client.Handle, listenerId, Json.Write(visitor.ToWire()), message, out result, out err);
            Errors.Check(status, err);
            return ListenerResult.FromJson(Json.Parse(Native.TakeString(result)));
        }

        /// <summary>Submits many visitors in batches; results come back in input order.</summary>
        /// <remarks>The visitors are read once, one at a time, and each goes to the native
        /// library as soon as it is read (as compact UTF-8 JSON), so a lazy sequence (rows from
        /// a data reader, a <c>yield</c> generator) is never held in memory whole. Every field
        /// error of every visitor is still reported before anything is sent.</remarks>
        /// <exception cref="ValidationError">A visitor (or the listener id or message) is
        /// invalid, or there are no visitors; nothing was sent.</exception>
        /// <exception cref="PartialBulkError">Some batches were accepted and another failed.</exception>
        public IList<ListenerResult> SubmitSalesforceVisitors(string listenerId, IEnumerable<Visitor> visitors, string message = null)
        {
            if (listenerId == null) throw new ArgumentNullException("listenerId");
            if (visitors == null) throw new ArgumentNullException("visitors");
            // A disposed client fails before the caller's sequence is read.
            client.ThrowIfDisposed();
            IntPtr results, err;
            BulkHandle bulk;
            int count = 0;
            Errors.Check(Native.bs_bulk_new(listenerId, message, out bulk, out err), err);
            using (bulk)
            {
                var encoder = new Utf8JsonEncoder();
                // A null visitor goes as JSON null: the library reports it as visitors[i].
                foreach (var v in visitors)
                {
                    Errors.Check(Native.bs_bulk_add_visitor(bulk, encoder.Encode(v == null ? null : v.ToWire()), out err), err);
                    count++;
                }
                Errors.Check(Native.bs_submit_bulk(client.Handle, bulk, out results, out err), err);
            }
            return Json.ParseArray(Native.TakeString(results), count, ListenerResult.FromJson).AsReadOnly();
        }

        /// <summary>Submits a LendingTree lead (XML) and returns the answer's status and XML.</summary>
        public LendingTreeResponse SubmitLendingTreeLead(string listenerId, string xml)
        {
            if (listenerId == null) throw new ArgumentNullException("listenerId");
            if (xml == null) throw new ArgumentNullException("xml");
            int httpStatus;
            IntPtr response, err;
            int status = Native.bs_submit_lendingtree_lead(client.Handle, listenerId, xml, out httpStatus, out response, out err);
            Errors.Check(status, err);
            return new LendingTreeResponse(httpStatus, Native.TakeString(response));
        }
    }

    /// <summary><c>client.Messages</c>: Send Message.</summary>
    public sealed class Messages
    {
        readonly Client client;

        internal Messages(Client client)
        {
            this.client = client;
        }

        /// <summary>Sends a text to a visitor identified by ClientVisitorId or PhoneNumber.</summary>
        public void Send(string text, Visitor visitor = null)
        {
            if (text == null) throw new ArgumentNullException("text");
            IntPtr err;
            int status = Native.bs_send_message(client.Handle, text, visitor == null ? null : Json.Write(visitor.ToWire()), out err);
            Errors.Check(status, err);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Native interop

    /// <summary>A pointer the library allocated, freed exactly once by its own free function,
    /// even if Dispose is forgotten. NULL is never freed.</summary>
    internal abstract class NativeHandle : SafeHandle
    {
        protected NativeHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }
    }

    /// <summary>Owns a bs_client*.</summary>
    internal sealed class ClientHandle : NativeHandle
    {
        protected override bool ReleaseHandle()
        {
            Native.bs_client_free(handle);
            return true;
        }
    }

    /// <summary>Owns a bs_bulk* (one bulk submission being filled).</summary>
    internal sealed class BulkHandle : NativeHandle
    {
        protected override bool ReleaseHandle()
        {
            Native.bs_bulk_free(handle);
            return true;
        }
    }

    internal static class Errors
    {
        // The bs_status values (botsplash.h).
        const int Ok = 0, Config = 1, Validation = 2, Authentication = 3, NotFound = 4, RateLimited = 5,
            Api = 6, Timeout = 7, Connection = 8, Decode = 9, Partial = 10, InvalidArgument = 11;

        /// <summary>Throws the exception for a failed call, freeing the native error.</summary>
        internal static void Check(int status, IntPtr err)
        {
            if (status == Ok)
            {
                Native.bs_error_free(err);
                return;
            }
            Dictionary<string, object> json;
            try
            {
                json = Json.Parse(Marshal.PtrToStringUTF8(Native.bs_error_json(err))) as Dictionary<string, object>
                    ?? new Dictionary<string, object>();
            }
            finally
            {
                Native.bs_error_free(err);
            }
            string message = Json.Str(json, "message") ?? "libbotsplash returned status " + status;
            if (status == InvalidArgument) throw new ArgumentException(message);
            BotsplashError error;
            switch (status)
            {
                case Config: error = new ConfigError(message); break;
                case Validation: error = new ValidationError(message); break;
                case Authentication: error = new AuthenticationError(message); break;
                case NotFound: error = new NotFoundError(message); break;
                case RateLimited: error = new RateLimitError(message); break;
                case Api: error = new APIError(message); break;
                case Timeout: error = new APITimeoutError(message); break;
                case Connection: error = new APIConnectionError(message); break;
                case Decode: error = new DecodeError(message); break;
                case Partial:
                    var partial = new PartialBulkError(message);
                    var details = json.ContainsKey("partial") ? json["partial"] as Dictionary<string, object> : null;
                    if (details != null) partial.FillPartial(details);
                    error = partial;
                    break;
                default: error = new BotsplashError(message); break;
            }
            error.Fill(json);
            throw error;
        }
    }

    internal static class Native
    {
        const string Lib = "botsplash";

        /// <summary>Copies a library-owned string and frees it with bs_string_free.</summary>
        internal static string TakeString(IntPtr s)
        {
            if (s == IntPtr.Zero) return null;
            try { return Marshal.PtrToStringUTF8(s); }
            finally { bs_string_free(s); }
        }

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr bs_version();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void bs_string_free(IntPtr s);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr bs_config_new();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void bs_config_free(IntPtr cfg);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_config_set_app_id(IntPtr cfg, [MarshalAs(UnmanagedType.LPUTF8Str)] string appId);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_config_set_api_key(IntPtr cfg, [MarshalAs(UnmanagedType.LPUTF8Str)] string key, uint placement);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_config_set_api_key_placement(IntPtr cfg, uint placement);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_config_set_basic_auth(IntPtr cfg, [MarshalAs(UnmanagedType.LPUTF8Str)] string username,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string password);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_config_set_base_url(IntPtr cfg, [MarshalAs(UnmanagedType.LPUTF8Str)] string url);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bs_config_set_timeout_ms(IntPtr cfg, ulong ms);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bs_config_set_connect_timeout_ms(IntPtr cfg, ulong ms);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bs_config_set_max_retries(IntPtr cfg, uint retries);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_config_set_retry_unknown_outcome(IntPtr cfg, [MarshalAs(UnmanagedType.I1)] bool retry);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bs_config_set_batch_size(IntPtr cfg, UIntPtr size);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bs_config_set_bulk_concurrency(IntPtr cfg, UIntPtr n);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_config_set_language(IntPtr cfg, [MarshalAs(UnmanagedType.LPUTF8Str)] string language);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_client_new(IntPtr cfg, out ClientHandle client, out IntPtr err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void bs_client_free(IntPtr client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_submit_visitor(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string listenerId,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string visitorJson, [MarshalAs(UnmanagedType.LPUTF8Str)] string message,
            out IntPtr resultJson, out IntPtr err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_bulk_new([MarshalAs(UnmanagedType.LPUTF8Str)] string listenerId,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string message, out BulkHandle bulk, out IntPtr err);
        // The visitor is NUL-terminated UTF-8; a byte[] is pinned for the call, not copied.
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_bulk_add_visitor(BulkHandle bulk, byte[] visitorJson, out IntPtr err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_submit_bulk(ClientHandle client, BulkHandle bulk, out IntPtr resultsJson, out IntPtr err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void bs_bulk_free(IntPtr bulk);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_submit_lendingtree_lead(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string listenerId,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string xml, out int httpStatus, out IntPtr responseXml, out IntPtr err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int bs_send_message(ClientHandle client, [MarshalAs(UnmanagedType.LPUTF8Str)] string text,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string visitorJson, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr bs_error_json(IntPtr err);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void bs_error_free(IntPtr err);
    }

    /// <summary>Encodes values as NUL-terminated UTF-8 JSON into buffers reused from one call to
    /// the next, so a bulk of any size costs a few buffers the size of its largest visitor.</summary>
    internal sealed class Utf8JsonEncoder
    {
        readonly StringBuilder text = new StringBuilder(1024);
        char[] chars = new char[1024];
        byte[] bytes = new byte[4096];

        /// <summary>The JSON of <paramref name="value"/>: valid until the next call.</summary>
        internal byte[] Encode(object value)
        {
            text.Clear();
            Json.Write(text, value);
            int n = text.Length;
            if (chars.Length < n) chars = new char[Math.Max(n, 2 * chars.Length)];
            text.CopyTo(0, chars, 0, n);
            int most = Encoding.UTF8.GetMaxByteCount(n) + 1;
            if (bytes.Length < most) bytes = new byte[Math.Max(most, 2 * bytes.Length)];
            // Json.Write escapes control characters, so the text holds no NUL of its own.
            bytes[Encoding.UTF8.GetBytes(chars, 0, n, bytes, 0)] = 0;
            return bytes;
        }
    }

    // ------------------------------------------------------------------------------------------
    // A minimal JSON reader/writer (Mono's base install has no JSON library). Objects are
    // Dictionary<string, object>, arrays List<object>, numbers double.

    internal static class Json
    {
        internal static string Str(Dictionary<string, object> obj, string key)
        {
            object v;
            return obj.TryGetValue(key, out v) ? v as string : null;
        }

        internal static double? Num(Dictionary<string, object> obj, string key)
        {
            object v;
            return obj.TryGetValue(key, out v) && v is double ? (double?)(double)v : null;
        }

        internal static string Write(object value)
        {
            var sb = new StringBuilder();
            Write(sb, value);
            return sb.ToString();
        }

        internal static void Write(StringBuilder sb, object value)
        {
            if (value == null) { sb.Append("null"); return; }
            var s = value as string;
            if (s != null) { WriteString(sb, s); return; }
            if (value is bool) { sb.Append((bool)value ? "true" : "false"); return; }
            if (value is int || value is long || value is short || value is byte || value is uint || value is ulong
                || value is ushort || value is sbyte || value is decimal)
            {
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            }
            if (value is double || value is float)
            {
                double d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsNaN(d) || double.IsInfinity(d)) throw new ArgumentException("JSON cannot hold NaN or infinity");
                sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
                return;
            }
            var dict = value as IDictionary;
            if (dict != null)
            {
                sb.Append('{');
                bool first = true;
                foreach (DictionaryEntry e in dict)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteString(sb, Convert.ToString(e.Key, CultureInfo.InvariantCulture));
                    sb.Append(':');
                    Write(sb, e.Value);
                }
                sb.Append('}');
                return;
            }
            var list = value as IEnumerable;
            if (list != null)
            {
                sb.Append('[');
                bool first = true;
                foreach (var item in list)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    Write(sb, item);
                }
                sb.Append(']');
                return;
            }
            throw new ArgumentException("cannot send a value of type " + value.GetType().Name + " as JSON");
        }

        static void WriteString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4"));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }

        internal static object Parse(string text)
        {
            if (text == null) return null;
            int i = 0;
            object value = ParseValue(text, ref i);
            SkipSpace(text, ref i);
            if (i != text.Length) throw new FormatException("trailing characters in JSON from libbotsplash");
            return value;
        }

        /// <summary>Reads a JSON array one element at a time, converting each as soon as it is
        /// read: the generic objects of a 100,000-element array never exist all at once.</summary>
        internal static List<T> ParseArray<T>(string text, int capacity, Func<object, T> convert)
        {
            var list = new List<T>(capacity);
            if (text == null) return list;
            int i = 0;
            SkipSpace(text, ref i);
            Expect(text, ref i, '[');
            SkipSpace(text, ref i);
            if (i < text.Length && text[i] == ']')
                i++;
            else
                for (;;)
                {
                    list.Add(convert(ParseValue(text, ref i)));
                    SkipSpace(text, ref i);
                    if (i < text.Length && text[i] == ',') { i++; continue; }
                    Expect(text, ref i, ']');
                    break;
                }
            SkipSpace(text, ref i);
            if (i != text.Length) throw new FormatException("trailing characters in JSON from libbotsplash");
            return list;
        }

        static void SkipSpace(string t, ref int i)
        {
            while (i < t.Length && char.IsWhiteSpace(t[i])) i++;
        }

        static object ParseValue(string t, ref int i)
        {
            SkipSpace(t, ref i);
            if (i >= t.Length) throw new FormatException("unexpected end of JSON");
            char c = t[i];
            if (c == '{')
            {
                var obj = new Dictionary<string, object>();
                i++;
                SkipSpace(t, ref i);
                if (t[i] == '}') { i++; return obj; }
                for (;;)
                {
                    SkipSpace(t, ref i);
                    string key = ParseString(t, ref i);
                    SkipSpace(t, ref i);
                    Expect(t, ref i, ':');
                    obj[key] = ParseValue(t, ref i);
                    SkipSpace(t, ref i);
                    if (t[i] == ',') { i++; continue; }
                    Expect(t, ref i, '}');
                    return obj;
                }
            }
            if (c == '[')
            {
                var list = new List<object>();
                i++;
                SkipSpace(t, ref i);
                if (t[i] == ']') { i++; return list; }
                for (;;)
                {
                    list.Add(ParseValue(t, ref i));
                    SkipSpace(t, ref i);
                    if (t[i] == ',') { i++; continue; }
                    Expect(t, ref i, ']');
                    return list;
                }
            }
            if (c == '"') return ParseString(t, ref i);
            if (Literal(t, ref i, "true")) return true;
            if (Literal(t, ref i, "false")) return false;
            if (Literal(t, ref i, "null")) return null;
            int start = i;
            while (i < t.Length && "+-0123456789.eE".IndexOf(t[i]) >= 0) i++;
            if (start == i) throw new FormatException("unexpected character in JSON: " + c);
            return double.Parse(t.Substring(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        static bool Literal(string t, ref int i, string word)
        {
            if (string.CompareOrdinal(t, i, word, 0, word.Length) != 0) return false;
            i += word.Length;
            return true;
        }

        static void Expect(string t, ref int i, char c)
        {
            if (i >= t.Length || t[i] != c) throw new FormatException("expected '" + c + "' in JSON");
            i++;
        }

        static string ParseString(string t, ref int i)
        {
            Expect(t, ref i, '"');
            var sb = new StringBuilder();
            while (i < t.Length && t[i] != '"')
            {
                char c = t[i++];
                if (c != '\\') { sb.Append(c); continue; }
                char e = t[i++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u':
                        sb.Append((char)int.Parse(t.Substring(i, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        i += 4;
                        break;
                    default: sb.Append(e); break;
                }
            }
            Expect(t, ref i, '"');
            return sb.ToString();
        }
    }
}
