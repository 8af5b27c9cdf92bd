/*
 * The C runner of the shared conformance cases (the JSON files in conformance/cases, format in
 * conformance/README.md), through libbotsplash's public C API. core/tests/conformance.rs is the
 * reference for what each key means.
 *
 * Usage: conformance [CASES_DIR]
 *   CASES_DIR defaults to conformance/cases under the working directory or its parent (the
 *   repository root or bindings-c/). The mock comes from $BOTSPLASH_MOCK_BIN, else
 *   target/debug/botsplash-mock found the same way.
 *
 * A key this runner does not understand, anywhere in a case, fails that case: nothing is
 * skipped. Prints one line per failed case and ends with "N passed, M failed"; the exit status
 * is 0 only when every case passed.
 *
 * Build: cc -std=c11 -I bindings-c/include bindings-c/tests/conformance.c -L target/debug \
 *          -lbotsplash -lcjson -o conformance            (cJSON: Debian's libcjson-dev)
 */
#define _GNU_SOURCE
#include "botsplash.h"

#include <cjson/cJSON.h>

#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_server.h"

extern char **environ;

/* ------------------------------------------------------------------------------------------ */
/* Failure reasons: every check returns NULL (fine) or a malloc'd one-line reason.            */

static char *why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *why(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    if (!s) {
        fputs("out of memory\n", stderr);
        exit(2);
    }
    /* One line per failed case, whatever a server or library message contains. */
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    return s;
}

/* Compact JSON of a value for messages (malloc'd; "?" when it cannot be printed). */
static char *show(const cJSON *v) {
    char *s = v ? cJSON_PrintUnformatted(v) : NULL;
    return s ? s : strdup(v ? "?" : "(missing)");
}

static const char *key_not_in(const cJSON *obj, const char *const *allowed) {
    const cJSON *item;
    cJSON_ArrayForEach(item, obj) {
        int known = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(item->string, *a) == 0) known = 1;
        if (!known) return item->string;
    }
    return NULL;
}

/* Unknown-key check: "what" names the object in the reason. */
#define CHECK_KEYS(obj, what, ...)                                                        \
    do {                                                                                  \
        static const char *const allowed_[] = {__VA_ARGS__, NULL};                        \
        const char *unknown_ = key_not_in((obj), allowed_);                               \
        if (unknown_) return why("unknown key \"%s\" in %s", unknown_, (what));           \
    } while (0)

/* ------------------------------------------------------------------------------------------ */
/* The mock server (mock_server.h): one process for the whole run, on its defaults.           */

/* "$MOCK" and "$CLOSED" (a loopback port nobody listens on) stand for URLs; anything else is
 * itself. Malloc'd. */
static char *substitute(const char *value) {
    if (strcmp(value, "$MOCK") == 0) return strdup(mock_url);
    if (strcmp(value, "$CLOSED") == 0) return why("http://127.0.0.1:%d", closed_port());
    return strdup(value);
}

/* ------------------------------------------------------------------------------------------ */
/* The case's shape, checked before anything runs: every key known, every value the type the  */
/* README gives it.                                                                            */

static const char *const OPERATIONS[] = {"submit_visitor", "submit_salesforce_visitors", "submit_lendingtree_lead",
                                         "send_message", NULL};

/* A non-negative integer that fits in `max`. */
static int whole_number(const cJSON *v, double max, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= 0) || d > max || floor(d) != d) return 0;
    *out = (uint64_t)d;
    return 1;
}

static int string_array(const cJSON *v) {
    const cJSON *item;
    if (!cJSON_IsArray(v)) return 0;
    cJSON_ArrayForEach(item, v) if (!cJSON_IsString(item)) return 0;
    return 1;
}

static int index_array(const cJSON *v) {
    const cJSON *item;
    uint64_t n;
    if (!cJSON_IsArray(v)) return 0;
    cJSON_ArrayForEach(item, v) if (!whole_number(item, 1e15, &n)) return 0;
    return 1;
}

static char *check_config_shape(const cJSON *config) {
    if (!cJSON_IsObject(config)) return why("config must be an object");
    CHECK_KEYS(config, "config", "app_id", "api_key", "username", "password", "api_key_in", "base_url", "timeout_ms",
               "connect_timeout_ms", "max_retries", "retry_unknown_outcome", "batch_size", "bulk_concurrency");
    static const char *const strings[] = {"app_id", "api_key", "username", "password", "api_key_in", "base_url", NULL};
    for (const char *const *k = strings; *k; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, *k);
        if (v && !cJSON_IsString(v)) return why("config.%s must be a string", *k);
    }
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(config, "api_key_in");
    if (in && strcmp(in->valuestring, "query") != 0 && strcmp(in->valuestring, "body") != 0)
        return why("config.api_key_in must be \"query\" or \"body\"");
    struct {
        const char *key;
        double max;
    } numbers[] = {{"timeout_ms", 1.8e19}, {"connect_timeout_ms", 1.8e19}, {"max_retries", 4294967295.0},
                   {"batch_size", (double)SIZE_MAX}, {"bulk_concurrency", (double)SIZE_MAX}};
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(config, numbers[i].key);
        uint64_t n;
        if (v && !whole_number(v, numbers[i].max, &n))
            return why("config.%s must be a non-negative integer the C setter takes", numbers[i].key);
    }
    const cJSON *retry = cJSON_GetObjectItemCaseSensitive(config, "retry_unknown_outcome");
    if (retry && !cJSON_IsBool(retry)) return why("config.retry_unknown_outcome must be a boolean");
    return NULL;
}

static char *check_args_shape(const char *operation, const cJSON *args) {
    if (!cJSON_IsObject(args)) return why("args must be an object");
    /* Each operation takes only its own arguments: one it would ignore is not understood. */
    const cJSON *v;
    if (strcmp(operation, "submit_visitor") == 0) {
        CHECK_KEYS(args, "args of submit_visitor", "listener_id", "visitor", "message");
        if (!cJSON_GetObjectItemCaseSensitive(args, "visitor")) return why("args.visitor is missing");
    } else if (strcmp(operation, "submit_salesforce_visitors") == 0) {
        CHECK_KEYS(args, "args of submit_salesforce_visitors", "listener_id", "visitors", "message");
        if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(args, "visitors"))) return why("args.visitors must be a list");
    } else if (strcmp(operation, "submit_lendingtree_lead") == 0) {
        CHECK_KEYS(args, "args of submit_lendingtree_lead", "listener_id", "xml");
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(args, "xml"))) return why("args.xml must be a string");
    } else {
        CHECK_KEYS(args, "args of send_message", "text", "visitor");
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(args, "text"))) return why("args.text must be a string");
        return NULL;
    }
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(args, "listener_id"))) return why("args.listener_id must be a string");
    if ((v = cJSON_GetObjectItemCaseSensitive(args, "message")) && !cJSON_IsString(v))
        return why("args.message must be a string");
    return NULL;
}

static char *check_result_shape(const char *operation, const cJSON *result) {
    if (!cJSON_IsObject(result)) return why("expect.result must be an object");
    if (strcmp(operation, "submit_visitor") == 0) {
        CHECK_KEYS(result, "expect.result", "success");
        if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(result, "success"))) return why("expect.result.success must be a boolean");
    } else if (strcmp(operation, "submit_salesforce_visitors") == 0) {
        uint64_t n;
        CHECK_KEYS(result, "expect.result", "count");
        if (!whole_number(cJSON_GetObjectItemCaseSensitive(result, "count"), 1e15, &n)) return why("expect.result.count must be a count");
    } else if (strcmp(operation, "submit_lendingtree_lead") == 0) {
        uint64_t n;
        CHECK_KEYS(result, "expect.result", "status", "xml_contains");
        if (!whole_number(cJSON_GetObjectItemCaseSensitive(result, "status"), 999, &n)) return why("expect.result.status must be an HTTP status");
        const cJSON *needle = cJSON_GetObjectItemCaseSensitive(result, "xml_contains");
        if (needle && !cJSON_IsString(needle)) return why("expect.result.xml_contains must be a string");
    } else {
        const char *const none[] = {NULL};
        const char *unknown = key_not_in(result, none);
        if (unknown) return why("unknown key \"%s\" in expect.result", unknown);
    }
    return NULL;
}

static const struct {
    const char *kind;
    bs_status status;
} KINDS[] = {
    {"config", BS_ERR_CONFIG},       {"validation", BS_ERR_VALIDATION}, {"authentication", BS_ERR_AUTHENTICATION},
    {"not_found", BS_ERR_NOT_FOUND}, {"rate_limited", BS_ERR_RATE_LIMITED}, {"api", BS_ERR_API},
    {"timeout", BS_ERR_TIMEOUT},     {"connection", BS_ERR_CONNECTION}, {"decode", BS_ERR_DECODE},
    {"partial_bulk", BS_ERR_PARTIAL},
};

static int kind_status(const char *kind, bs_status *out) {
    for (size_t i = 0; i < sizeof KINDS / sizeof *KINDS; i++)
        if (strcmp(KINDS[i].kind, kind) == 0) {
            *out = KINDS[i].status;
            return 1;
        }
    return 0;
}

static char *check_error_shape(const cJSON *error) {
    if (!cJSON_IsObject(error)) return why("expect.error must be an object");
    CHECK_KEYS(error, "expect.error", "kind", "status", "outcome_unknown", "retries", "field_paths", "message_contains",
               "retry_after", "unconfirmed", "accepted_indices", "cause");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(error, "kind");
    bs_status s;
    if (!cJSON_IsString(kind) || !kind_status(kind->valuestring, &s)) return why("expect.error.kind is not a known kind");
    /* The four always-present fields are required: a missing one would silently check nothing. */
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(error, "status");
    uint64_t n;
    if (!cJSON_IsNull(status) && !whole_number(status, 999, &n)) return why("expect.error.status must be null or an HTTP status");
    if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(error, "outcome_unknown")))
        return why("expect.error.outcome_unknown must be a boolean");
    if (!whole_number(cJSON_GetObjectItemCaseSensitive(error, "retries"), 4294967295.0, &n))
        return why("expect.error.retries must be a count");
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(error, "field_paths")) && !string_array(v))
        return why("expect.error.field_paths must be a list of strings");
    if ((v = cJSON_GetObjectItemCaseSensitive(error, "message_contains")) && !cJSON_IsString(v))
        return why("expect.error.message_contains must be a string");
    if ((v = cJSON_GetObjectItemCaseSensitive(error, "retry_after")) && !cJSON_IsNull(v) &&
        !(cJSON_IsNumber(v) && v->valuedouble >= 0))
        return why("expect.error.retry_after must be null or seconds");
    int partial = 0;
    static const char *const partial_keys[] = {"unconfirmed", "accepted_indices", "cause"};
    for (size_t i = 0; i < 3; i++) partial += cJSON_GetObjectItemCaseSensitive(error, partial_keys[i]) != NULL;
    if (partial && partial != 3) return why("expect.error: unconfirmed, accepted_indices and cause go together");
    if (partial) {
        if (!index_array(cJSON_GetObjectItemCaseSensitive(error, "unconfirmed")))
            return why("expect.error.unconfirmed must be a list of indices");
        if (!index_array(cJSON_GetObjectItemCaseSensitive(error, "accepted_indices")))
            return why("expect.error.accepted_indices must be a list of indices");
        const cJSON *cause = cJSON_GetObjectItemCaseSensitive(error, "cause");
        if (!cJSON_IsString(cause) || !kind_status(cause->valuestring, &s)) return why("expect.error.cause is not a known kind");
    }
    return NULL;
}

static char *check_ledger_shape(const cJSON *ledger) {
    if (!cJSON_IsObject(ledger)) return why("ledger must be an object");
    CHECK_KEYS(ledger, "ledger", "total", "requests");
    uint64_t n;
    if (!whole_number(cJSON_GetObjectItemCaseSensitive(ledger, "total"), 1e15, &n)) return why("ledger.total must be a count");
    const cJSON *requests = cJSON_GetObjectItemCaseSensitive(ledger, "requests"), *entry;
    if (!requests) return NULL;
    if (!cJSON_IsArray(requests)) return why("ledger.requests must be a list");
    cJSON_ArrayForEach(entry, requests) {
        if (!cJSON_IsObject(entry)) return why("ledger.requests entries must be objects");
        CHECK_KEYS(entry, "ledger.requests", "operation", "auth", "accepted", "listener_id", "body");
    }
    return NULL;
}

static char *check_case_shape(const cJSON *kase, const char *file_stem) {
    if (!cJSON_IsObject(kase)) return why("a case is an object");
    CHECK_KEYS(kase, "case", "name", "description", "env", "config", "faults", "operation", "args", "expect", "ledger");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(kase, "name");
    if (!cJSON_IsString(name) || strcmp(name->valuestring, file_stem) != 0) return why("name must be the file name");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(kase, "description");
    if (v && !cJSON_IsString(v)) return why("description must be a string");
    if ((v = cJSON_GetObjectItemCaseSensitive(kase, "env"))) {
        const cJSON *var;
        if (!cJSON_IsObject(v)) return why("env must be an object");
        cJSON_ArrayForEach(var, v) {
            /* Only BOTSPLASH_* names are unset before each case; any other would leak into the next. */
            if (strncmp(var->string, "BOTSPLASH_", 10) != 0) return why("env.%s is not a BOTSPLASH_* variable", var->string);
            if (!cJSON_IsString(var)) return why("env.%s must be a string", var->string);
        }
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(kase, "faults"))) {
        const cJSON *fault;
        if (!cJSON_IsArray(v)) return why("faults must be a list");
        /* Their keys are the mock's: it refuses unknown ones when they are posted. */
        cJSON_ArrayForEach(fault, v) if (!cJSON_IsObject(fault)) return why("faults must be objects");
    }
    char *problem = check_config_shape(cJSON_GetObjectItemCaseSensitive(kase, "config"));
    if (problem) return problem;
    const cJSON *operation = cJSON_GetObjectItemCaseSensitive(kase, "operation");
    int known = 0;
    for (const char *const *op = OPERATIONS; *op && cJSON_IsString(operation); op++)
        known |= strcmp(*op, operation->valuestring) == 0;
    if (!known) return why("operation is not a known operation");
    if ((problem = check_args_shape(operation->valuestring, cJSON_GetObjectItemCaseSensitive(kase, "args")))) return problem;
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(kase, "expect");
    if (!cJSON_IsObject(expect)) return why("expect must be an object");
    CHECK_KEYS(expect, "expect", "result", "error");
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(expect, "result");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(expect, "error");
    if (!result == !error) return why("expect holds exactly one of result and error");
    if ((problem = result ? check_result_shape(operation->valuestring, result) : check_error_shape(error))) return problem;
    return check_ledger_shape(cJSON_GetObjectItemCaseSensitive(kase, "ledger"));
}

/* ------------------------------------------------------------------------------------------ */
/* Running a case.                                                                             */

static void clear_botsplash_env(void) {
    /* Collect first: unsetenv rearranges environ. */
    for (;;) {
        char *name = NULL;
        for (char **e = environ; e && *e; e++)
            if (strncmp(*e, "BOTSPLASH_", 10) == 0) {
                const char *eq = strchr(*e, '=');
                name = strndup(*e, eq ? (size_t)(eq - *e) : strlen(*e));
                break;
            }
        if (!name) return;
        unsetenv(name);
        free(name);
    }
}

/* Builds the config the case describes. Unset options fall back to the environment when the
 * client is built, as in every language; with no option at all the case is configured from
 * the environment alone, which is what bs_config_from_env is for. */
static bs_status build_config(const cJSON *config, bs_config **out, bs_error **err) {
    const cJSON *v;
    int any = config->child != NULL;
    /* The mock is the default peer, unless the case configures the URL through the environment. */
    int default_url = cJSON_GetObjectItemCaseSensitive(config, "base_url") == NULL && getenv("BOTSPLASH_BASE_URL") == NULL;
    *out = NULL;
    *err = NULL;
    if (!any && !default_url) return bs_config_from_env(out, err);

    bs_config *cfg = bs_config_new();
    *out = cfg;
    if (!cfg) return BS_ERR_INTERNAL;
    /* Setter results are not checked one by one: a refused argument is remembered and
     * bs_client_new reports it as BS_ERR_CONFIG, which is what the case then expects. */
    if ((v = cJSON_GetObjectItemCaseSensitive(config, "app_id"))) bs_config_set_app_id(cfg, v->valuestring);
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(config, "api_key_in");
    bs_api_key_placement placement = in && strcmp(in->valuestring, "body") == 0 ? BS_API_KEY_IN_BODY : BS_API_KEY_IN_QUERY;
    if ((v = cJSON_GetObjectItemCaseSensitive(config, "api_key"))) bs_config_set_api_key(cfg, v->valuestring, placement);
    else if (in) bs_config_set_api_key_placement(cfg, placement); /* the key comes from the environment */
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(config, "username");
    const cJSON *pass = cJSON_GetObjectItemCaseSensitive(config, "password");
    /* A missing half goes in as NULL, which the library refuses (then BS_ERR_CONFIG). */
    if (user || pass) bs_config_set_basic_auth(cfg, user ? user->valuestring : NULL, pass ? pass->valuestring : NULL);
    if ((v = cJSON_GetObjectItemCaseSensitive(config, "base_url"))) {
        char *url = substitute(v->valuestring);
        bs_config_set_base_url(cfg, url);
        free(url);
    } else if (default_url) {
        bs_config_set_base_url(cfg, mock_url);
    }
    uint64_t n;
    if (whole_number(cJSON_GetObjectItemCaseSensitive(config, "timeout_ms"), 1.8e19, &n)) bs_config_set_timeout_ms(cfg, n);
    if (whole_number(cJSON_GetObjectItemCaseSensitive(config, "connect_timeout_ms"), 1.8e19, &n))
        bs_config_set_connect_timeout_ms(cfg, n);
    if (whole_number(cJSON_GetObjectItemCaseSensitive(config, "max_retries"), 4294967295.0, &n))
        bs_config_set_max_retries(cfg, (uint32_t)n);
    if ((v = cJSON_GetObjectItemCaseSensitive(config, "retry_unknown_outcome")))
        bs_config_set_retry_unknown_outcome(cfg, cJSON_IsTrue(v));
    if (whole_number(cJSON_GetObjectItemCaseSensitive(config, "batch_size"), (double)SIZE_MAX, &n))
        bs_config_set_batch_size(cfg, (size_t)n);
    if (whole_number(cJSON_GetObjectItemCaseSensitive(config, "bulk_concurrency"), (double)SIZE_MAX, &n))
        bs_config_set_bulk_concurrency(cfg, (size_t)n);
    return BS_OK;
}

/* What an operation returned. */
typedef struct {
    bs_status status;
    bs_error *err;
    char *json;         /* submit_visitor / bulk: the result JSON */
    int http_status;    /* LendingTree */
    char *response_xml; /* LendingTree */
} outcome;

static void call(const bs_client *client, const char *operation, const cJSON *args, outcome *o) {
    const cJSON *listener = cJSON_GetObjectItemCaseSensitive(args, "listener_id");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(args, "message");
    const char *listener_id = listener ? listener->valuestring : NULL;
    const char *msg = message ? message->valuestring : NULL;
    if (strcmp(operation, "submit_visitor") == 0) {
        char *visitor = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(args, "visitor"));
        o->status = bs_submit_visitor(client, listener_id, visitor, msg, &o->json, &o->err);
        free(visitor);
    } else if (strcmp(operation, "submit_salesforce_visitors") == 0) {
        char *visitors = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(args, "visitors"));
        o->status = bs_submit_salesforce_visitors(client, listener_id, visitors, msg, &o->json, &o->err);
        free(visitors);
    } else if (strcmp(operation, "submit_lendingtree_lead") == 0) {
        const char *xml = cJSON_GetObjectItemCaseSensitive(args, "xml")->valuestring;
        o->status = bs_submit_lendingtree_lead(client, listener_id, xml, &o->http_status, &o->response_xml, &o->err);
    } else {
        const cJSON *visitor = cJSON_GetObjectItemCaseSensitive(args, "visitor");
        char *visitor_json = visitor ? cJSON_PrintUnformatted(visitor) : NULL;
        const char *text = cJSON_GetObjectItemCaseSensitive(args, "text")->valuestring;
        o->status = bs_send_message(client, text, visitor_json, &o->err);
        free(visitor_json);
    }
}

/* The request ids of the accepted ledger entries, in ledger order (a cJSON array to delete). */
static cJSON *ledger_ids(const cJSON *ledger) {
    cJSON *ids = cJSON_CreateArray();
    const cJSON *entry, *id;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(ledger, "requests")) {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(entry, "accepted"))) continue;
        cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(entry, "request_ids"))
            if (cJSON_IsString(id)) cJSON_AddItemToArray(ids, cJSON_CreateString(id->valuestring));
    }
    return ids;
}

static int by_string(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted copies of the strings of an array (malloc'd array of borrowed pointers). */
static const char **sorted_strings(const cJSON *array, int *count) {
    int n = cJSON_GetArraySize(array), i = 0;
    const char **out = calloc((size_t)n + 1, sizeof *out);
    const cJSON *item;
    cJSON_ArrayForEach(item, array) out[i++] = cJSON_IsString(item) ? item->valuestring : "";
    qsort(out, (size_t)n, sizeof *out, by_string);
    *count = n;
    return out;
}

static char *check_result(const char *operation, const cJSON *want, const outcome *o, const cJSON *ledger) {
    if (strcmp(operation, "submit_lendingtree_lead") == 0) {
        if (o->http_status != (int)cJSON_GetObjectItemCaseSensitive(want, "status")->valuedouble)
            return why("status %d", o->http_status);
        const cJSON *needle = cJSON_GetObjectItemCaseSensitive(want, "xml_contains");
        if (!o->response_xml || !strstr(o->response_xml, needle ? needle->valuestring : ""))
            return why("xml %s lacks %s", o->response_xml ? o->response_xml : "(null)", needle ? needle->valuestring : "");
        return NULL;
    }
    if (strcmp(operation, "send_message") == 0) return NULL;

    cJSON *got = cJSON_Parse(o->json ? o->json : "");
    if (!got) return why("the result is not JSON: %s", o->json ? o->json : "(null)");
    cJSON *ids = ledger_ids(ledger);
    char *problem = NULL;
    if (strcmp(operation, "submit_visitor") == 0) {
        const cJSON *success = cJSON_GetObjectItemCaseSensitive(got, "success");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(got, "requestId");
        const cJSON *last = cJSON_GetArrayItem(ids, cJSON_GetArraySize(ids) - 1);
        if (!cJSON_IsBool(success) || cJSON_IsTrue(success) != cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(want, "success")))
            problem = why("result %s", o->json);
        else if (!cJSON_IsString(id) || !last || strcmp(id->valuestring, last->valuestring) != 0)
            problem = why("request id %s is not the one the server recorded", cJSON_IsString(id) ? id->valuestring : "(none)");
    } else {
        int want_count = (int)cJSON_GetObjectItemCaseSensitive(want, "count")->valuedouble;
        cJSON *got_ids = cJSON_CreateArray();
        const cJSON *r;
        cJSON_ArrayForEach(r, got) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "requestId");
            cJSON_AddItemToArray(got_ids, cJSON_CreateString(cJSON_IsString(id) ? id->valuestring : ""));
        }
        int n_got, n_recorded;
        const char **a = sorted_strings(got_ids, &n_got), **b = sorted_strings(ids, &n_recorded);
        int same = cJSON_IsArray(got) && n_got == n_recorded;
        for (int i = 0; same && i < n_got; i++) same = strcmp(a[i], b[i]) == 0;
        if (!cJSON_IsArray(got) || cJSON_GetArraySize(got) != want_count)
            problem = why("%d results", cJSON_IsArray(got) ? cJSON_GetArraySize(got) : -1);
        else if (!same)
            problem = why("bulk request ids differ from the ledger's");
        free(a);
        free(b);
        cJSON_Delete(got_ids);
    }
    cJSON_Delete(ids);
    cJSON_Delete(got);
    return problem;
}

static char *describe(const bs_error *err) {
    return why("%s (http %d, retries %" PRIu32 ", outcome_unknown %d, retry_after_ms %" PRId64 "): %s",
               bs_status_name(bs_error_status(err)), bs_error_http_status(err), bs_error_retries(err),
               bs_error_outcome_unknown(err), bs_error_retry_after_ms(err), bs_error_message(err));
}

static char *mismatch(const char *what, const bs_error *err) {
    char *d = describe(err);
    char *r = why("%s differs: %s", what, d);
    free(d);
    return r;
}

static char *check_error(const cJSON *want, const bs_error *err) {
    bs_status kind;
    kind_status(cJSON_GetObjectItemCaseSensitive(want, "kind")->valuestring, &kind);
    if (bs_error_status(err) != kind) return mismatch("kind", err);
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(want, "status");
    /* 0 is the C API's "no HTTP answer", the cases' null. */
    int want_status = cJSON_IsNull(status) ? 0 : (int)status->valuedouble;
    if (bs_error_http_status(err) != want_status) return mismatch("status", err);
    if (bs_error_outcome_unknown(err) != cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(want, "outcome_unknown")) ||
        bs_error_retries(err) != (uint32_t)cJSON_GetObjectItemCaseSensitive(want, "retries")->valuedouble)
        return mismatch("outcome_unknown/retries", err);

    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(want, "field_paths");
    if (paths) {
        cJSON *fields = cJSON_Parse(bs_error_field_errors_json(err));
        cJSON *got = cJSON_CreateArray();
        const cJSON *f;
        cJSON_ArrayForEach(f, fields) {
            const cJSON *path = cJSON_GetObjectItemCaseSensitive(f, "path");
            cJSON_AddItemToArray(got, cJSON_IsString(path) ? cJSON_CreateString(path->valuestring) : cJSON_CreateNull());
        }
        char *problem = NULL;
        if (!cJSON_IsArray(fields) || !cJSON_Compare(got, paths, 1)) {
            char *shown = show(got);
            problem = why("field paths %s", shown);
            free(shown);
        }
        cJSON_Delete(got);
        cJSON_Delete(fields);
        if (problem) return problem;
    }
    const cJSON *needle = cJSON_GetObjectItemCaseSensitive(want, "message_contains");
    if (needle && !strstr(bs_error_message(err), needle->valuestring)) return mismatch("message", err);
    const cJSON *retry_after = cJSON_GetObjectItemCaseSensitive(want, "retry_after");
    if (retry_after) {
        /* Seconds in the case, whole milliseconds in the C API (-1: none). */
        int64_t want_ms = cJSON_IsNull(retry_after) ? -1 : (int64_t)llround(retry_after->valuedouble * 1000.0);
        if (bs_error_retry_after_ms(err) != want_ms) return mismatch("retry_after", err);
    }
    if (cJSON_GetObjectItemCaseSensitive(want, "unconfirmed")) {
        const char *partial_json = bs_error_partial_json(err);
        if (!partial_json) return why("no partial details");
        cJSON *partial = cJSON_Parse(partial_json);
        cJSON *accepted = cJSON_CreateArray();
        const cJSON *r;
        int i = 0;
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(partial, "results")) {
            if (!cJSON_IsNull(r)) cJSON_AddItemToArray(accepted, cJSON_CreateNumber(i));
            i++;
        }
        int same = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(partial, "results")) &&
                   cJSON_Compare(cJSON_GetObjectItemCaseSensitive(partial, "unconfirmed"),
                                 cJSON_GetObjectItemCaseSensitive(want, "unconfirmed"), 1) &&
                   cJSON_Compare(accepted, cJSON_GetObjectItemCaseSensitive(want, "accepted_indices"), 1) &&
                   cJSON_Compare(cJSON_GetObjectItemCaseSensitive(partial, "cause"),
                                 cJSON_GetObjectItemCaseSensitive(want, "cause"), 1);
        cJSON_Delete(accepted);
        cJSON_Delete(partial);
        if (!same) return why("partial details differ: %s", partial_json);
    }
    return NULL;
}

static char *check_ledger(const cJSON *want, const cJSON *ledger) {
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(ledger, "total");
    if (!cJSON_IsNumber(total) || total->valuedouble != cJSON_GetObjectItemCaseSensitive(want, "total")->valuedouble)
        return why("the server received %d requests", cJSON_IsNumber(total) ? (int)total->valuedouble : -1);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(ledger, "requests");
    const cJSON *expected, *field;
    int i = 0;
    cJSON_ArrayForEach(expected, cJSON_GetObjectItemCaseSensitive(want, "requests")) {
        const cJSON *got = cJSON_GetArrayItem(entries, i);
        if (!got) return why("no ledger entry %d", i);
        cJSON_ArrayForEach(field, expected) {
            const cJSON *value = cJSON_GetObjectItemCaseSensitive(got, field->string);
            if (!value || !cJSON_Compare(value, field, 1)) {
                char *a = show(value), *b = show(field);
                char *r = why("ledger entry %d: %s = %s, expected %s", i, field->string, a, b);
                free(a);
                free(b);
                return r;
            }
        }
        i++;
    }
    return NULL;
}

static char *run_case(const cJSON *kase) {
    const cJSON *v;
    char *problem = NULL, *body = NULL;
    int status;
    if ((status = control("DELETE", "/__mock/requests", NULL, NULL)) != 200) return why("clearing the ledger: HTTP %d", status);
    if ((status = control("DELETE", "/__mock/faults", NULL, NULL)) != 200) return why("clearing the faults: HTTP %d", status);
    clear_botsplash_env();
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(kase, "env")) {
        char *value = substitute(v->valuestring);
        setenv(v->string, value, 1);
        free(value);
    }
    const cJSON *faults = cJSON_GetObjectItemCaseSensitive(kase, "faults");
    if (cJSON_GetArraySize(faults) > 0) {
        cJSON *list = cJSON_CreateObject();
        cJSON_AddItemToObject(list, "faults", cJSON_Duplicate(faults, 1));
        char *json = cJSON_PrintUnformatted(list);
        cJSON_Delete(list);
        status = control("POST", "/__mock/faults", json, &body);
        free(json);
        if (status != 200) problem = why("the mock refused the faults (HTTP %d): %s", status, body ? body : "");
        free(body);
        if (problem) return problem;
    }

    const char *operation = cJSON_GetObjectItemCaseSensitive(kase, "operation")->valuestring;
    outcome o = {0};
    bs_config *cfg = NULL;
    bs_client *client = NULL;
    o.status = build_config(cJSON_GetObjectItemCaseSensitive(kase, "config"), &cfg, &o.err);
    if (o.status == BS_OK) o.status = bs_client_new(cfg, &client, &o.err);
    bs_config_free(cfg);
    if (o.status == BS_OK) call(client, operation, cJSON_GetObjectItemCaseSensitive(kase, "args"), &o);
    bs_client_free(client);

    status = control("GET", "/__mock/requests", NULL, &body);
    cJSON *ledger = status == 200 && body ? cJSON_Parse(body) : NULL;
    free(body);
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(kase, "expect");
    const cJSON *want_result = cJSON_GetObjectItemCaseSensitive(expect, "result");
    if (!ledger) {
        problem = why("reading the ledger: HTTP %d", status);
    } else if (o.status != BS_OK && !o.err) {
        problem = why("%s without an error object", bs_status_name(o.status));
    } else if (want_result) {
        if (o.status != BS_OK) {
            char *d = describe(o.err);
            problem = why("failed, but a result was expected: %s", d);
            free(d);
        } else {
            problem = check_result(operation, want_result, &o, ledger);
        }
    } else if (o.status == BS_OK) {
        problem = why("succeeded, but an error was expected");
    } else {
        problem = check_error(cJSON_GetObjectItemCaseSensitive(expect, "error"), o.err);
    }
    if (!problem) problem = check_ledger(cJSON_GetObjectItemCaseSensitive(kase, "ledger"), ledger);
    cJSON_Delete(ledger);
    bs_error_free(o.err);
    bs_string_free(o.json);
    bs_string_free(o.response_xml);
    return problem;
}

/* ------------------------------------------------------------------------------------------ */

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (size_t r; buf && (r = fread(buf + len, 1, cap - len - 1, f)) > 0;) {
        len += r;
        if (cap - len < 2) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    return buf;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *cases_dir(int argc, char **argv) {
    if (argc > 1) return argv[1];
    static const char *const candidates[] = {"conformance/cases", "../conformance/cases"};
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++)
        if (access(candidates[i], R_OK | X_OK) == 0) return candidates[i];
    return NULL;
}

int main(int argc, char **argv) {
    const char *dir = cases_dir(argc, argv);
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) {
        fprintf(stderr, "conformance cases not found (%s): pass their directory as the argument\n", dir ? dir : "no candidate");
        return 2;
    }
    size_t n = 0, cap = 128;
    char **files = malloc(cap * sizeof *files);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        if (n == cap) files = realloc(files, (cap *= 2) * sizeof *files);
        files[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(files, n, sizeof *files, by_name);
    /* A suite that shrank by accident must not pass quietly (the Rust and Node runners agree). */
    if (n < 40) {
        fprintf(stderr, "expected at least 40 cases in %s, found %zu\n", dir, n);
        return 2;
    }
    /* The mock's defaults, as the README asks of every runner (any listener id). */
    if (start_mock(NULL) != 0) {
        return 2;
    }

    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        char stem[256];
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(files[i]) - 5), files[i]);
        char *path = why("%s/%s", dir, files[i]);
        char *text = read_file(path);
        cJSON *kase = text ? cJSON_Parse(text) : NULL;
        char *problem = !text ? why("cannot read %s", path)
                        : !kase ? why("not JSON")
                                : check_case_shape(kase, stem);
        if (!problem) problem = run_case(kase);
        if (problem) {
            printf("FAIL %s: %s\n", stem, problem);
            fflush(stdout);
            failed++;
        } else {
            passed++;
        }
        free(problem);
        cJSON_Delete(kase);
        free(text);
        free(path);
        free(files[i]);
    }
    free(files);
    stop_mock();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
