/*
 * Tests of libbotsplash through its C API, against a botsplash-mock this program starts.
 *
 * Build and run: see bindings-c/README.md ("Testing") or bindings-c/test.sh, which also runs it
 * under valgrind and with -fsanitize=address,undefined. The mock binary comes from
 * $BOTSPLASH_MOCK_BIN, else target/debug/botsplash-mock relative to the working directory
 * (the repository root or bindings-c/).
 *
 * The last line of output is "N passed, M failed" (counted per check); the exit status is 0
 * only when nothing failed.
 */
#define _GNU_SOURCE
#include "botsplash.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mock_server.h"

/* ------------------------------------------------------------------------------------------ */
/* A small assertion framework: every check counts, failures say where and why.              */

static int passed, failed;
static const char *current_test = "?";

static void check_at(int ok, int line, const char *expr, const char *fmt, ...) {
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL [%s] line %d: %s", current_test, line, expr);
    if (fmt && *fmt) {
        va_list ap;
        va_start(ap, fmt);
        printf(" -- ");
        vprintf(fmt, ap);
        va_end(ap);
    }
    printf("\n");
    fflush(stdout);
}

#define CHECK(cond) check_at(!!(cond), __LINE__, #cond, NULL)
#define CHECKF(cond, ...) check_at(!!(cond), __LINE__, #cond, __VA_ARGS__)

static int contains(const char *haystack, const char *needle) {
    return haystack != NULL && needle != NULL && strstr(haystack, needle) != NULL;
}

static int count_of(const char *haystack, const char *needle) {
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = haystack; p && (p = strstr(p, needle)) != NULL; p += len) n++;
    return n;
}

/* Checks a call's status and the error it produced; returns the error (or NULL) to inspect
 * further. The caller frees it. */
static bs_error *expect_at(int line, const char *what, bs_status got, bs_error *err, bs_status want) {
    int ok = got == want && (want == BS_OK ? err == NULL : err != NULL && bs_error_status(err) == want);
    check_at(ok, line, what, "expected %s, got %s (%s)", bs_status_name(want), bs_status_name(got),
             bs_error_message(err));
    return err;
}
/* The comma operator makes sure the call has written `err` before it is read. */
static bs_status last_status;
#define EXPECT(call, err, want) (last_status = (call), expect_at(__LINE__, #call, last_status, (err), (want)))

/* Checks and frees in one go, for the common case. */
#define EXPECT_FREE(call, err, want) bs_error_free(EXPECT(call, err, want))

static int field_error_at(const bs_error *err, const char *path) {
    char needle[256];
    snprintf(needle, sizeof needle, "\"path\":\"%s\"", path);
    return contains(bs_error_field_errors_json(err), needle);
}

/* ------------------------------------------------------------------------------------------ */
/* The mock server (mock_server.h): started once, controlled over its /__mock API.            */

static void mock_reset(void) {
    control("DELETE", "/__mock/requests", NULL, NULL);
    control("DELETE", "/__mock/faults", NULL, NULL);
}

static void mock_fault(const char *fault_json) {
    int status = control("POST", "/__mock/faults", fault_json, NULL);
    CHECKF(status >= 200 && status < 300, "queuing fault %s gave HTTP %d", fault_json, status);
}

/* The ledger as JSON (free it). */
static char *ledger(void) {
    char *body = NULL;
    control("GET", "/__mock/requests", NULL, &body);
    return body ? body : strdup("");
}

static int ledger_total(void) {
    char *l = ledger();
    const char *t = strstr(l, "\"total\":");
    int total = t ? atoi(t + 8) : -1;
    free(l);
    return total;
}

/* ------------------------------------------------------------------------------------------ */
/* Clients                                                                                      */

static bs_config *base_config(void) {
    bs_config *cfg = bs_config_new();
    bs_config_set_app_id(cfg, "demo-app");
    bs_config_set_api_key(cfg, "demo-key", BS_API_KEY_IN_QUERY);
    bs_config_set_base_url(cfg, mock_url);
    return cfg;
}

/* Builds a client from `cfg` and frees `cfg`. */
static bs_client *build(bs_config *cfg) {
    bs_client *client = NULL;
    bs_error *err = NULL;
    bs_status s = bs_client_new(cfg, &client, &err);
    CHECKF(s == BS_OK && client != NULL, "bs_client_new: %s %s", bs_status_name(s), bs_error_message(err));
    bs_error_free(err);
    bs_config_free(cfg);
    return client;
}

static bs_client *default_client(void) { return build(base_config()); }

static const char *VISITOR = "{\"phoneNumber\": \"+1 704 555 0100\", \"firstName\": \"Ann\"}";

/* Copies the requestId out of a result JSON into `out` (37 bytes). */
static int request_id_of(const char *json, char out[37]) {
    const char *p = strstr(json ? json : "", "\"requestId\":\"");
    if (!p) return 0;
    p += strlen("\"requestId\":\"");
    const char *end = strchr(p, '"');
    if (!end || end - p != 36) return 0;
    memcpy(out, p, 36);
    out[36] = '\0';
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                        */

static void test_version_and_status_names(void) {
    const char *v = bs_version();
    CHECK(v != NULL && strlen(v) >= 5 && strchr(v, '.') != NULL);
    CHECK(strcmp(bs_status_name(BS_OK), "BS_OK") == 0);
    CHECK(strcmp(bs_status_name(BS_ERR_CONFIG), "BS_ERR_CONFIG") == 0);
    CHECK(strcmp(bs_status_name(BS_ERR_PARTIAL), "BS_ERR_PARTIAL") == 0);
    CHECK(strcmp(bs_status_name(BS_ERR_INVALID_ARGUMENT), "BS_ERR_INVALID_ARGUMENT") == 0);
    CHECK(strcmp(bs_status_name(BS_ERR_INTERNAL), "BS_ERR_INTERNAL") == 0);
    CHECK(strcmp(bs_status_name(-1), "BS_UNKNOWN_STATUS") == 0);
    CHECK(strcmp(bs_status_name(99), "BS_UNKNOWN_STATUS") == 0);
    /* The values are part of the ABI. */
    CHECK(BS_OK == 0 && BS_ERR_CONFIG == 1 && BS_ERR_VALIDATION == 2 && BS_ERR_AUTHENTICATION == 3 &&
          BS_ERR_NOT_FOUND == 4 && BS_ERR_RATE_LIMITED == 5 && BS_ERR_API == 6 && BS_ERR_TIMEOUT == 7 &&
          BS_ERR_CONNECTION == 8 && BS_ERR_DECODE == 9 && BS_ERR_PARTIAL == 10 &&
          BS_ERR_INVALID_ARGUMENT == 11 && BS_ERR_INTERNAL == 12);
}

/* Builds a client from `cfg` (freed) expecting a config error whose message contains `text`. */
static void expect_config_error(int line, bs_config *cfg, bs_status want, const char *text) {
    bs_client *client = (bs_client *)&client; /* a sentinel: must become NULL */
    bs_error *err = NULL;
    bs_status s = bs_client_new(cfg, &client, &err);
    check_at(s == want && client == NULL, line, "bs_client_new fails", "got %s: %s", bs_status_name(s),
             bs_error_message(err));
    check_at(contains(bs_error_message(err), text), line, "config error message", "\"%s\" lacks \"%s\"",
             bs_error_message(err), text);
    check_at(bs_error_status(err) == want && bs_error_http_status(err) == 0 && !bs_error_outcome_unknown(err), line,
             "config error fields", NULL);
    bs_error_free(err);
    bs_config_free(cfg);
}

static void test_config_errors(void) {
    bs_config *cfg;

    cfg = base_config();
    bs_config_set_app_id(cfg, "");
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "app_id is required");

    cfg = bs_config_new();
    bs_config_set_api_key(cfg, "demo-key", BS_API_KEY_IN_QUERY);
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "BOTSPLASH_APP_ID");

    cfg = bs_config_new();
    bs_config_set_app_id(cfg, "demo-app");
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "credentials are required");

    cfg = base_config();
    bs_config_set_basic_auth(cfg, "demo", "demo-password");
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "not both");

    cfg = base_config();
    bs_config_set_base_url(cfg, "ftp://example.com");
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "scheme");

    cfg = base_config();
    bs_config_set_base_url(cfg, "http://api.example.com/open/v1");
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "https");

    cfg = base_config();
    bs_config_set_base_url(cfg, "not a url");
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "not a valid URL");

    cfg = base_config();
    bs_config_set_timeout_ms(cfg, 0);
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "timeout");

    cfg = base_config();
    bs_config_set_connect_timeout_ms(cfg, 0);
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "connect_timeout");

    cfg = base_config();
    bs_config_set_max_retries(cfg, 11);
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "max_retries");

    cfg = base_config();
    bs_config_set_batch_size(cfg, 0);
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "batch_size");

    cfg = base_config();
    bs_config_set_bulk_concurrency(cfg, 1000);
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "bulk_concurrency");

    cfg = base_config();
    bs_config_set_language(cfg, "c\n");
    expect_config_error(__LINE__, cfg, BS_ERR_CONFIG, "language");

    /* A config error never shows the secret it is about. */
    cfg = bs_config_new();
    bs_config_set_app_id(cfg, "demo-app");
    bs_config_set_basic_auth(cfg, "user:name", "pa55-secret");
    bs_error *err = NULL;
    bs_client *client = NULL;
    EXPECT(bs_client_new(cfg, &client, &err), err, BS_ERR_CONFIG);
    CHECK(!contains(bs_error_message(err), "pa55-secret") && !contains(bs_error_json(err), "pa55-secret"));
    bs_error_free(err);
    bs_config_free(cfg);
}

static void test_config_setter_arguments(void) {
    bs_config *cfg = base_config();
    /* Every setter accepts good values. */
    CHECK(bs_config_set_app_id(cfg, "demo-app") == BS_OK);
    CHECK(bs_config_set_api_key(cfg, "demo-key", BS_API_KEY_IN_BODY) == BS_OK);
    CHECK(bs_config_set_base_url(cfg, mock_url) == BS_OK);
    CHECK(bs_config_set_timeout_ms(cfg, 10000) == BS_OK);
    CHECK(bs_config_set_connect_timeout_ms(cfg, 2000) == BS_OK);
    CHECK(bs_config_set_max_retries(cfg, 3) == BS_OK);
    CHECK(bs_config_set_retry_unknown_outcome(cfg, true) == BS_OK);
    CHECK(bs_config_set_batch_size(cfg, 50) == BS_OK);
    CHECK(bs_config_set_bulk_concurrency(cfg, 2) == BS_OK);
    CHECK(bs_config_set_language(cfg, "c") == BS_OK);
    bs_client *client = build(cfg);
    bs_error *err = NULL;
    EXPECT_FREE(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
    bs_client_free(client);

    /* NULL config: reported at once. */
    CHECK(bs_config_set_app_id(NULL, "x") == BS_ERR_INVALID_ARGUMENT);
    CHECK(bs_config_set_api_key(NULL, "x", BS_API_KEY_IN_QUERY) == BS_ERR_INVALID_ARGUMENT);
    CHECK(bs_config_set_basic_auth(NULL, "u", "p") == BS_ERR_INVALID_ARGUMENT);
    CHECK(bs_config_set_base_url(NULL, "x") == BS_ERR_INVALID_ARGUMENT);
    CHECK(bs_config_set_timeout_ms(NULL, 1) == BS_ERR_INVALID_ARGUMENT);
    CHECK(bs_config_set_connect_timeout_ms(NULL, 1) == BS_ERR_INVALID_ARGUMENT);
    CHECK(bs_config_set_max_retries(NULL, 1) == BS_ERR_INVALID_ARGUMENT);
    CHECK(bs_config_set_retry_unknown_outcome(NULL, true) == BS_ERR_INVALID_ARGUMENT);
    CHECK(bs_config_set_batch_size(NULL, 1) == BS_ERR_INVALID_ARGUMENT);
    CHECK(bs_config_set_bulk_concurrency(NULL, 1) == BS_ERR_INVALID_ARGUMENT);
    CHECK(bs_config_set_language(NULL, "c") == BS_ERR_INVALID_ARGUMENT);

    /* A bad setter argument fails the setter and, remembered, the client build. */
    struct {
        const char *setter;
        int line;
        bs_status status;
        bs_config *cfg;
    } cases[8];
    int n = 0;
#define BAD_SETTER(name, call)                                                             \
    do {                                                                                   \
        bs_config *c = base_config();                                                      \
        cases[n].setter = name;                                                            \
        cases[n].line = __LINE__;                                                          \
        cases[n].status = call;                                                            \
        cases[n].cfg = c;                                                                  \
        n++;                                                                               \
    } while (0)
    BAD_SETTER("bs_config_set_app_id", bs_config_set_app_id(c, NULL));
    BAD_SETTER("bs_config_set_app_id", bs_config_set_app_id(c, "demo-\xff\xfe"));
    BAD_SETTER("bs_config_set_api_key", bs_config_set_api_key(c, NULL, BS_API_KEY_IN_QUERY));
    BAD_SETTER("bs_config_set_api_key", bs_config_set_api_key(c, "demo-key", 7));
    BAD_SETTER("bs_config_set_basic_auth", bs_config_set_basic_auth(c, "demo", NULL));
    BAD_SETTER("bs_config_set_basic_auth", bs_config_set_basic_auth(c, NULL, "pw"));
    BAD_SETTER("bs_config_set_base_url", bs_config_set_base_url(c, NULL));
    BAD_SETTER("bs_config_set_language", bs_config_set_language(c, "\xc3\x28"));
#undef BAD_SETTER
    for (int i = 0; i < n; i++) {
        check_at(cases[i].status == BS_ERR_INVALID_ARGUMENT, cases[i].line, "bad setter argument", "%s gave %s",
                 cases[i].setter, bs_status_name(cases[i].status));
        /* A later good call does not wash the earlier mistake away. */
        bs_config_set_app_id(cases[i].cfg, "demo-app");
        expect_config_error(cases[i].line, cases[i].cfg, BS_ERR_CONFIG, cases[i].setter);
    }

    /* bs_client_new's own arguments. */
    err = NULL;
    client = (bs_client *)&client;
    EXPECT_FREE(bs_client_new(NULL, &client, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(client == NULL);
    cfg = base_config();
    EXPECT_FREE(bs_client_new(cfg, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    /* Without an error slot the status still says what happened. */
    CHECK(bs_client_new(cfg, NULL, NULL) == BS_ERR_INVALID_ARGUMENT);
    bs_config_free(cfg);
}

static void test_config_from_env(void) {
    bs_config *cfg = (bs_config *)&cfg;
    bs_error *err = NULL;
    /* Nothing in the environment: refused at once. */
    EXPECT(bs_config_from_env(&cfg, &err), err, BS_ERR_CONFIG);
    CHECK(cfg == NULL);
    CHECK(contains(bs_error_message(err), "BOTSPLASH_APP_ID"));
    bs_error_free(err);
    EXPECT_FREE(bs_config_from_env(NULL, &err), err, BS_ERR_INVALID_ARGUMENT);

    setenv("BOTSPLASH_APP_ID", "demo-app", 1);
    setenv("BOTSPLASH_API_KEY", "demo-key", 1);
    setenv("BOTSPLASH_BASE_URL", mock_url, 1);
    setenv("BOTSPLASH_MAX_RETRIES", "nope", 1);
    EXPECT(bs_config_from_env(&cfg, &err), err, BS_ERR_CONFIG);
    CHECK(contains(bs_error_message(err), "BOTSPLASH_MAX_RETRIES"));
    bs_error_free(err);
    unsetenv("BOTSPLASH_MAX_RETRIES");

    mock_reset();
    EXPECT_FREE(bs_config_from_env(&cfg, &err), err, BS_OK);
    bs_client *client = build(cfg);
    EXPECT_FREE(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
    bs_client_free(client);
    char *l = ledger();
    CHECK(contains(l, "\"auth\":\"api_key_query\"") && contains(l, "\"app_id\":\"demo-app\""));
    free(l);

    /* Unset options of a bs_config_new config fall back to the environment too. */
    setenv("BOTSPLASH_API_KEY_IN", "body", 1);
    mock_reset();
    client = build(bs_config_new());
    EXPECT_FREE(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
    bs_client_free(client);
    l = ledger();
    CHECK(contains(l, "\"auth\":\"api_key_body\""));
    CHECK(!contains(l, "demo-key"));
    free(l);
    unsetenv("BOTSPLASH_API_KEY_IN");

    /* A setter overrides the environment; explicit credentials replace the environment's. */
    mock_reset();
    EXPECT_FREE(bs_config_from_env(&cfg, &err), err, BS_OK);
    CHECK(bs_config_set_basic_auth(cfg, "demo", "demo-password") == BS_OK);
    client = build(cfg);
    EXPECT_FREE(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
    bs_client_free(client);
    l = ledger();
    CHECK(contains(l, "\"auth\":\"basic\""));
    free(l);

    unsetenv("BOTSPLASH_APP_ID");
    unsetenv("BOTSPLASH_API_KEY");
    unsetenv("BOTSPLASH_BASE_URL");
}

static void test_auth_modes(void) {
    struct {
        const char *expect;
        int basic;
        bs_api_key_placement placement;
    } modes[] = {{"\"auth\":\"basic\"", 1, 0},
                 {"\"auth\":\"api_key_query\"", 0, BS_API_KEY_IN_QUERY},
                 {"\"auth\":\"api_key_body\"", 0, BS_API_KEY_IN_BODY}};
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        mock_reset();
        bs_config *cfg = bs_config_new();
        bs_config_set_app_id(cfg, "demo-app");
        bs_config_set_base_url(cfg, mock_url);
        if (modes[i].basic)
            bs_config_set_basic_auth(cfg, "demo", "demo-password");
        else
            bs_config_set_api_key(cfg, "demo-key", modes[i].placement);
        bs_client *client = build(cfg);
        bs_error *err = NULL;
        EXPECT_FREE(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
        EXPECT_FREE(bs_send_message(client, "hello", "{\"clientVisitorId\": \"c-1\"}", &err), err, BS_OK);
        bs_client_free(client);
        char *l = ledger();
        CHECKF(count_of(l, modes[i].expect) == 2, "mode %zu: %s", i, l);
        free(l);
    }

    /* Wrong credentials: 401, and the secret appears nowhere. */
    bs_config *cfg = bs_config_new();
    bs_config_set_app_id(cfg, "demo-app");
    bs_config_set_base_url(cfg, mock_url);
    bs_config_set_basic_auth(cfg, "demo", "wr0ng-secret");
    bs_client *client = build(cfg);
    bs_error *err = NULL;
    EXPECT(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_ERR_AUTHENTICATION);
    CHECK(bs_error_http_status(err) == 401);
    CHECK(bs_error_request_id(err) != NULL && strlen(bs_error_request_id(err)) == 36);
    CHECK(!bs_error_outcome_unknown(err) && bs_error_retries(err) == 0);
    CHECK(!contains(bs_error_message(err), "wr0ng") && !contains(bs_error_json(err), "wr0ng"));
    CHECK(contains(bs_error_json(err), "\"code\":\"AUTHENTICATION\""));
    bs_error_free(err);
    bs_client_free(client);
}

static void test_submit_visitor(void) {
    mock_reset();
    bs_client *client = default_client();
    bs_error *err = NULL;
    char *result = NULL;
    const char *visitor =
        "{\"phoneNumber\": \"+1 (704) 555-0100\", \"firstName\": \"Ann\", \"lastName\": \"Lee\","
        " \"email\": \"ann@example.com\", \"state\": \"nc\", \"tzName\": \"America/New_York\","
        " \"clientVisitorId\": \"crm-1\", \"agentClientUserId\": [\"a-1\", \"a-2\"], \"teamCode\": \"T1\","
        " \"deliveryStatus\": 202, \"extendedAttributes\": {\"loan\": {\"amount\": 250000}},"
        " \"participantAgentIds\": [7], \"email2\": null}";
    EXPECT_FREE(bs_submit_visitor(client, "leads", visitor, "Hi Ann \xe2\x9c\x93", &result, &err), err, BS_OK);
    char id[37] = "";
    CHECKF(contains(result, "\"success\":true") && request_id_of(result, id), "result %s", result);
    char *l = ledger();
    CHECK(contains(l, id));
    CHECK(contains(l, "\"operation\":\"submit_visitor\"") && contains(l, "\"listener_id\":\"leads\""));
    CHECK(contains(l, "\"extendedAttributes\":{\"loan\":{\"amount\":250000}}"));
    CHECK(contains(l, "\"participantAgentIds\":[7]") && contains(l, "\"email2\":null"));
    CHECK(contains(l, "\"agentClientUserId\":[\"a-1\",\"a-2\"]"));
    CHECK(contains(l, "\"args\":{\"message\":\"Hi Ann \xe2\x9c\x93\"}"));
    free(l);
    bs_string_free(result);

    /* No message: no args. A NULL result pointer: the result is dropped, the call still made. */
    mock_reset();
    EXPECT_FREE(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
    l = ledger();
    CHECK(ledger_total() == 1 && !contains(l, "\"args\""));
    free(l);

    /* A known field set to null counts as not given. */
    EXPECT_FREE(bs_submit_visitor(client, "leads", "{\"phoneNumber\": \"7045550100\", \"email\": null}", NULL, NULL, &err),
                err, BS_OK);
    bs_client_free(client);
}

static void test_submit_visitor_simple(void) {
    mock_reset();
    bs_client *client = default_client();
    bs_error *err = NULL;
    char *request_id = NULL;
    bs_visitor v = {0};
    v.phone_number = "+1 704 555 0100";
    v.first_name = "Ann";
    v.last_name = "Lee";
    v.state = "NC";
    v.tz_name = "America/Chicago";
    v.client_visitor_id = "crm-9";
    v.agent_client_user_id = "agent-1";
    v.team_code = "T2";
    EXPECT_FREE(bs_submit_visitor_simple(client, "leads", &v, "Hello", &request_id, &err), err, BS_OK);
    CHECK(request_id != NULL && strlen(request_id) == 36);
    char *l = ledger();
    CHECK(contains(l, request_id));
    CHECK(contains(l, "\"firstName\":\"Ann\"") && contains(l, "\"tzName\":\"America/Chicago\"") &&
          contains(l, "\"clientVisitorId\":\"crm-9\"") && contains(l, "\"teamCode\":\"T2\""));
    CHECK(!contains(l, "\"email\""));
    free(l);
    bs_string_free(request_id);

    /* Validation comes from the core, with the same paths as the JSON route. */
    bs_visitor bad = {0};
    bad.email = "not-an-email";
    bad.tz_name = "Mars/Base";
    request_id = (char *)&request_id;
    EXPECT(bs_submit_visitor_simple(client, "leads", &bad, NULL, &request_id, &err), err, BS_ERR_VALIDATION);
    CHECK(request_id == NULL);
    CHECK(field_error_at(err, "visitor.phoneNumber") && field_error_at(err, "visitor.email") &&
          field_error_at(err, "visitor.tzName"));
    bs_error_free(err);

    EXPECT_FREE(bs_submit_visitor_simple(client, "leads", NULL, NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    bs_visitor bad_utf8 = {0};
    bad_utf8.phone_number = "7045550100";
    bad_utf8.first_name = "An\xffn";
    EXPECT(bs_submit_visitor_simple(client, "leads", &bad_utf8, NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(contains(bs_error_message(err), "visitor->first_name"));
    bs_error_free(err);
    CHECK(ledger_total() == 1);
    bs_client_free(client);
}

static void test_salesforce(void) {
    mock_reset();
    bs_config *cfg = base_config();
    bs_config_set_batch_size(cfg, 2);
    bs_config_set_bulk_concurrency(cfg, 1);
    bs_client *client = build(cfg);
    bs_error *err = NULL;
    char *results = NULL;
    const char *visitors = "[{\"phoneNumber\": \"7045550100\"}, {\"phoneNumber\": \"7045550101\"},"
                           " {\"phoneNumber\": \"7045550102\"}, {\"phoneNumber\": \"7045550103\"},"
                           " {\"phoneNumber\": \"7045550104\", \"tzName\": \"UTC\"}]";
    EXPECT_FREE(bs_submit_salesforce_visitors(client, "bulk", visitors, "Hi all", &results, &err), err, BS_OK);
    CHECKF(count_of(results, "\"success\":true") == 5, "%s", results);
    char *l = ledger();
    CHECK(count_of(l, "\"operation\":\"submit_salesforce_visitors\"") == 3);
    CHECK(count_of(l, "\"args\":{\"message\":\"Hi all\"}") == 3);
    /* Results come back in input order: the request ids appear in the ledger in the same order
     * (batches ran one at a time). */
    const char *r = results, *lp = l;
    int in_order = 1;
    for (int i = 0; i < 5; i++) {
        char id[37];
        if (!request_id_of(r, id)) {
            in_order = 0;
            break;
        }
        r = strstr(r, id) + 36;
        const char *found = strstr(lp, id);
        if (!found) {
            in_order = 0;
            break;
        }
        lp = found;
    }
    CHECK(in_order);
    free(l);
    bs_string_free(results);

    /* Every visitor's field errors at once, with paths; nothing sent. */
    mock_reset();
    results = (char *)&results;
    EXPECT(bs_submit_salesforce_visitors(client, "bulk",
                                         "[{\"phoneNumber\": \"7045550100\"}, {\"phoneNumber\": \"7045550100\","
                                         " \"tzName\": \"America/NewYork\"}, {}, 5]",
                                         NULL, &results, &err),
           err, BS_ERR_VALIDATION);
    CHECK(results == NULL);
    CHECK(field_error_at(err, "visitors[1].tzName") && field_error_at(err, "visitors[2].phoneNumber") &&
          field_error_at(err, "visitors[3]"));
    CHECK(contains(bs_error_json(err), "\"code\":\"VALIDATION\"") && bs_error_partial_json(err) == NULL);
    bs_error_free(err);
    EXPECT(bs_submit_salesforce_visitors(client, "bulk", "[]", NULL, NULL, &err), err, BS_ERR_VALIDATION);
    CHECK(field_error_at(err, "visitors"));
    bs_error_free(err);
    EXPECT_FREE(bs_submit_salesforce_visitors(client, "bulk", "{\"visitors\": []}", NULL, NULL, &err), err,
                BS_ERR_INVALID_ARGUMENT);
    CHECK(ledger_total() == 0);
    bs_client_free(client);
}

static void test_lendingtree(void) {
    mock_reset();
    /* With the key in the body, LendingTree still sends it in the query (its body is XML). */
    bs_config *cfg = base_config();
    bs_config_set_api_key(cfg, "demo-key", BS_API_KEY_IN_BODY);
    bs_client *client = build(cfg);
    bs_error *err = NULL;
    int status = -1;
    char *xml = NULL;
    const char *lead = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><LeadInformation><Applicant>"
                       "<FirstName>Ann</FirstName><Phone>7045550100</Phone></Applicant></LeadInformation>";
    EXPECT_FREE(bs_submit_lendingtree_lead(client, "lt", lead, &status, &xml, &err), err, BS_OK);
    CHECK(status == 200);
    CHECKF(contains(xml, "<Status>Success</Status>"), "%s", xml);
    bs_string_free(xml);
    char *l = ledger();
    CHECK(contains(l, "\"operation\":\"submit_lendingtree_lead\"") && contains(l, "\"auth\":\"api_key_query\""));
    CHECK(contains(l, "<FirstName>Ann</FirstName>"));
    free(l);

    /* Both out-pointers are optional. */
    EXPECT_FREE(bs_submit_lendingtree_lead(client, "lt", lead, NULL, NULL, &err), err, BS_OK);

    /* Not well-formed: a validation error on "xml", nothing sent, outputs cleared. */
    mock_reset();
    status = 123;
    xml = (char *)&xml;
    EXPECT(bs_submit_lendingtree_lead(client, "lt", "<Lead><Open></Lead>", &status, &xml, &err), err,
           BS_ERR_VALIDATION);
    CHECK(field_error_at(err, "xml") && status == 0 && xml == NULL);
    bs_error_free(err);
    EXPECT(bs_submit_lendingtree_lead(client, "lt", "", NULL, NULL, &err), err, BS_ERR_VALIDATION);
    CHECK(field_error_at(err, "xml"));
    bs_error_free(err);
    CHECK(ledger_total() == 0);

    /* The server's XML error text becomes the message. */
    mock_fault("{\"operation\": \"submit_lendingtree_lead\", \"action\": \"status\", \"status\": 500}");
    EXPECT(bs_submit_lendingtree_lead(client, "lt", lead, &status, NULL, &err), err, BS_ERR_API);
    CHECK(bs_error_http_status(err) == 500 && contains(bs_error_message(err), "injected 500"));
    bs_error_free(err);
    bs_client_free(client);
}

static void test_send_message(void) {
    mock_reset();
    bs_client *client = default_client();
    bs_error *err = NULL;
    EXPECT_FREE(bs_send_message(client, "Your rate is locked", "{\"clientVisitorId\": \"crm-1\"}", &err), err, BS_OK);
    EXPECT_FREE(bs_send_message(client, "Hi", "{\"phoneNumber\": \"+1 704 555 0100\"}", &err), err, BS_OK);
    EXPECT_FREE(bs_send_message(client, "No visitor", NULL, &err), err, BS_OK);
    char *l = ledger();
    CHECK(count_of(l, "\"operation\":\"send_message\"") == 3);
    CHECK(contains(l, "\"text\":\"Your rate is locked\"") && contains(l, "\"clientVisitorId\":\"crm-1\""));
    free(l);

    mock_reset();
    EXPECT(bs_send_message(client, "   ", NULL, &err), err, BS_ERR_VALIDATION);
    CHECK(field_error_at(err, "text"));
    bs_error_free(err);
    EXPECT(bs_send_message(client, "Hi", "{\"firstName\": \"Ann\"}", &err), err, BS_ERR_VALIDATION);
    CHECK(field_error_at(err, "visitor"));
    bs_error_free(err);
    EXPECT(bs_send_message(client, "", "[]", &err), err, BS_ERR_VALIDATION);
    CHECK(field_error_at(err, "text") && field_error_at(err, "visitor"));
    bs_error_free(err);
    EXPECT_FREE(bs_send_message(client, "Hi", "{oops}", &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(ledger_total() == 0);
    bs_client_free(client);
}

static void test_status_codes(void) {
    bs_client *client = default_client();
    bs_error *err = NULL;

    /* 401 and 403 */
    mock_reset();
    mock_fault("{\"action\": \"status\", \"status\": 403}");
    EXPECT(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_ERR_AUTHENTICATION);
    CHECK(bs_error_http_status(err) == 403);
    bs_error_free(err);

    /* 404: unknown listener, unknown app, injected */
    EXPECT(bs_submit_visitor(client, "nope", VISITOR, NULL, NULL, &err), err, BS_ERR_NOT_FOUND);
    CHECK(bs_error_http_status(err) == 404 && contains(bs_error_message(err), "nope"));
    bs_error_free(err);
    /* An id with a slash stays one path segment: still just an unknown listener. */
    EXPECT_FREE(bs_submit_visitor(client, "leads/../bulk", VISITOR, NULL, NULL, &err), err, BS_ERR_NOT_FOUND);
    bs_config *cfg = base_config();
    bs_config_set_app_id(cfg, "other-app");
    bs_client *other = build(cfg);
    EXPECT_FREE(bs_send_message(other, "Hi", NULL, &err), err, BS_ERR_NOT_FOUND);
    bs_client_free(other);
    mock_fault("{\"action\": \"status\", \"status\": 404}");
    EXPECT_FREE(bs_send_message(client, "Hi", NULL, &err), err, BS_ERR_NOT_FOUND);

    /* 429: retried after Retry-After (0 s here), then given up with the details. */
    mock_reset();
    mock_fault("{\"action\": \"status\", \"status\": 429, \"retry_after\": \"0\", \"times\": 3}");
    EXPECT(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_ERR_RATE_LIMITED);
    CHECK(bs_error_http_status(err) == 429 && bs_error_retries(err) == 2 && bs_error_retry_after_ms(err) == 0);
    CHECK(!bs_error_outcome_unknown(err));
    CHECK(contains(bs_error_json(err), "\"code\":\"RATE_LIMITED\""));
    bs_error_free(err);
    CHECK(ledger_total() == 3);
    mock_reset();
    mock_fault("{\"action\": \"status\", \"status\": 429, \"retry_after\": \"0\"}");
    EXPECT_FREE(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
    CHECK(ledger_total() == 2);
    /* A wait longer than 60 s is not waited out. */
    mock_reset();
    mock_fault("{\"action\": \"status\", \"status\": 429, \"retry_after\": \"120\"}");
    EXPECT(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_ERR_RATE_LIMITED);
    CHECK(bs_error_retry_after_ms(err) == 120000 && bs_error_retries(err) == 0);
    bs_error_free(err);
    CHECK(ledger_total() == 1);

    /* 5xx: the outcome is unknown, so by default it is not retried. */
    mock_reset();
    mock_fault("{\"action\": \"status\", \"status\": 500}");
    EXPECT(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_ERR_API);
    CHECK(bs_error_http_status(err) == 500 && bs_error_outcome_unknown(err) && bs_error_retries(err) == 0);
    CHECK(contains(bs_error_message(err), "injected 500") && bs_error_request_id(err) != NULL);
    bs_error_free(err);
    CHECK(ledger_total() == 1);
    /* ... unless the user opts in. */
    cfg = base_config();
    bs_config_set_retry_unknown_outcome(cfg, true);
    bs_config_set_max_retries(cfg, 1);
    bs_client *retrying = build(cfg);
    mock_reset();
    mock_fault("{\"action\": \"status\", \"status\": 503}");
    EXPECT_FREE(bs_submit_visitor(retrying, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
    CHECK(ledger_total() == 2);
    bs_client_free(retrying);

    /* Other 4xx: an API error, known not processed. */
    mock_fault("{\"action\": \"status\", \"status\": 400, \"body\": \"{\\\"message\\\": \\\"bad lead\\\"}\"}");
    EXPECT(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_ERR_API);
    CHECK(bs_error_http_status(err) == 400 && !bs_error_outcome_unknown(err) && contains(bs_error_message(err), "bad lead"));
    bs_error_free(err);

    /* Timeout */
    cfg = base_config();
    bs_config_set_timeout_ms(cfg, 300);
    bs_client *impatient = build(cfg);
    mock_reset();
    mock_fault("{\"action\": \"delay\", \"delay_ms\": 1500}");
    EXPECT(bs_submit_visitor(impatient, "leads", VISITOR, NULL, NULL, &err), err, BS_ERR_TIMEOUT);
    CHECK(bs_error_outcome_unknown(err) && bs_error_http_status(err) == 0);
    bs_error_free(err);
    CHECK(ledger_total() == 1);
    bs_client_free(impatient);

    /* Connection lost after the server read the request */
    mock_reset();
    mock_fault("{\"action\": \"drop_after_read\"}");
    EXPECT(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_ERR_CONNECTION);
    CHECK(bs_error_outcome_unknown(err));
    bs_error_free(err);
    char *l = ledger();
    CHECK(contains(l, "\"accepted\":true") && contains(l, "\"fault\":\"drop_after_read\""));
    free(l);

    /* Could not connect: retried (safe), then reported as not sent. */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
    cfg = base_config();
    bs_config_set_base_url(cfg, url);
    bs_config_set_max_retries(cfg, 1);
    bs_client *nowhere = build(cfg);
    EXPECT(bs_submit_visitor(nowhere, "leads", VISITOR, NULL, NULL, &err), err, BS_ERR_CONNECTION);
    CHECK(!bs_error_outcome_unknown(err) && bs_error_retries(err) == 1 && bs_error_http_status(err) == 0);
    bs_error_free(err);
    bs_client_free(nowhere);

    /* Answers that are not what the API documents */
    const char *decode_faults[] = {"{\"action\": \"malformed_json\"}", "{\"action\": \"truncated_body\"}",
                                   "{\"action\": \"wrong_content_type\"}",
                                   "{\"action\": \"oversized_body\", \"size_bytes\": 5000000}"};
    for (size_t i = 0; i < sizeof decode_faults / sizeof *decode_faults; i++) {
        mock_reset();
        mock_fault(decode_faults[i]);
        EXPECT(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_ERR_DECODE);
        CHECKF(bs_error_outcome_unknown(err) && bs_error_http_status(err) == 200, "%s", decode_faults[i]);
        bs_error_free(err);
    }
    bs_client_free(client);
}

static void test_partial_bulk(void) {
    mock_reset();
    bs_config *cfg = base_config();
    bs_config_set_batch_size(cfg, 2);
    bs_config_set_bulk_concurrency(cfg, 1);
    bs_client *client = build(cfg);
    /* The first batch goes through (a zero delay), the second gets a 500, the third never starts. */
    mock_fault("{\"faults\": [{\"operation\": \"submit_salesforce_visitors\", \"action\": \"delay\", \"delay_ms\": 0},"
               " {\"operation\": \"submit_salesforce_visitors\", \"action\": \"status\", \"status\": 500}]}");
    const char *visitors = "[{\"phoneNumber\": \"7045550100\"}, {\"phoneNumber\": \"7045550101\"},"
                           " {\"phoneNumber\": \"7045550102\"}, {\"phoneNumber\": \"7045550103\"},"
                           " {\"phoneNumber\": \"7045550104\"}]";
    bs_error *err = NULL;
    char *results = (char *)&results;
    EXPECT(bs_submit_salesforce_visitors(client, "bulk", visitors, NULL, &results, &err), err, BS_ERR_PARTIAL);
    CHECK(results == NULL);
    const char *partial = bs_error_partial_json(err);
    CHECKF(contains(partial, "\"unconfirmed\":[2,3,4]") && contains(partial, "null,null,null]") &&
               count_of(partial, "\"requestId\"") == 2 && contains(partial, "\"cause\":\"api\""),
           "%s", partial);
    CHECK(bs_error_outcome_unknown(err) && bs_error_http_status(err) == 500);
    CHECK(contains(bs_error_message(err), "2 of 5 visitors accepted"));
    CHECK(contains(bs_error_json(err), "\"code\":\"PARTIAL\"") && contains(bs_error_json(err), "\"unconfirmed\":[2,3,4]"));
    /* The confirmed ids are the ones the server assigned to the first batch. */
    char id[37];
    char *l = ledger();
    CHECK(request_id_of(partial, id) && contains(l, id));
    CHECK(count_of(l, "\"operation\":\"submit_salesforce_visitors\"") == 2);
    free(l);
    bs_error_free(err);
    bs_client_free(client);
}

/* ------------------------------------------------------------------------------------------ */
/* Bulk submissions filled one visitor at a time (bs_bulk)                                     */

/* A new bulk (checked). */
static bs_bulk *new_bulk(const char *listener_id, const char *message) {
    bs_bulk *bulk = NULL;
    bs_error *err = NULL;
    bs_status s = bs_bulk_new(listener_id, message, &bulk, &err);
    CHECKF(s == BS_OK && bulk != NULL && err == NULL, "bs_bulk_new: %s %s", bs_status_name(s), bs_error_message(err));
    bs_error_free(err);
    return bulk;
}

/* Adds a visitor that must be taken (BS_OK). */
#define ADD(bulk, json) EXPECT_FREE(bs_bulk_add_visitor((bulk), (json), &err), err, BS_OK)

/* The "body" members of a ledger's requests, concatenated in order (malloc'd). The test bodies
 * hold no braces inside strings, so counting braces finds each body's end. */
static char *ledger_bodies(const char *ledger_json) {
    size_t cap = strlen(ledger_json) + 1, len = 0;
    char *out = malloc(cap);
    for (const char *p = ledger_json; (p = strstr(p, "\"body\":{")) != NULL;) {
        p += strlen("\"body\":");
        int depth = 0;
        do {
            if (*p == '{') depth++;
            if (*p == '}') depth--;
            out[len++] = *p++;
        } while (depth > 0 && *p);
        out[len++] = '\n';
    }
    out[len] = '\0';
    return out;
}

/* Whether the request ids of `results` (a JSON array of n results) appear in the ledger in the
 * same order: the results are in input order when the batches ran one at a time. */
static int results_in_ledger_order(const char *results, const char *ledger_json, int n) {
    const char *r = results, *lp = ledger_json;
    for (int i = 0; i < n; i++) {
        char id[37];
        if (!request_id_of(r, id)) return 0;
        r = strstr(r, id) + 36;
        const char *found = strstr(lp, id);
        if (!found) return 0;
        lp = found;
    }
    return 1;
}

static void test_bulk_builder(void) {
    mock_reset();
    bs_config *cfg = base_config();
    bs_config_set_batch_size(cfg, 2);
    bs_config_set_bulk_concurrency(cfg, 1);
    bs_client *client = build(cfg);
    bs_error *err = NULL;
    char *results = NULL;
    const char *visitors[] = {"{\"phoneNumber\": \"7045550100\"}", "{\"phoneNumber\": \"7045550101\"}",
                              "{\"phoneNumber\": \"7045550102\", \"firstName\": \"Ann\"}",
                              "{\"phoneNumber\": \"7045550103\", \"extendedAttributes\": {\"loan\": 250000}}",
                              "{\"phoneNumber\": \"7045550104\", \"tzName\": \"UTC\"}"};
    enum { N = sizeof visitors / sizeof *visitors };

    /* Success: one result per visitor, in the order they were added. */
    bs_bulk *bulk = new_bulk("bulk", "Hi all");
    CHECK(bs_bulk_len(bulk) == 0);
    for (int i = 0; i < N; i++) ADD(bulk, visitors[i]);
    CHECK(bs_bulk_len(bulk) == N);
    EXPECT_FREE(bs_submit_bulk(client, bulk, &results, &err), err, BS_OK);
    CHECKF(count_of(results, "\"success\":true") == N && results[0] == '[', "%s", results);
    char *l = ledger();
    CHECK(count_of(l, "\"operation\":\"submit_salesforce_visitors\"") == 3);
    CHECK(count_of(l, "\"args\":{\"message\":\"Hi all\"}") == 3);
    CHECK(results_in_ledger_order(results, l, N));
    char *bulk_bodies = ledger_bodies(l);
    free(l);
    bs_string_free(results);

    /* Spent: adding or submitting again is an error, never a second send; len stays. */
    EXPECT(bs_bulk_add_visitor(bulk, visitors[0], &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECKF(contains(bs_error_message(err), "already given to bs_submit_bulk"), "%s", bs_error_message(err));
    bs_error_free(err);
    results = (char *)&results;
    EXPECT_FREE(bs_submit_bulk(client, bulk, &results, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(results == NULL);
    CHECK(bs_bulk_len(bulk) == N);
    CHECK(ledger_total() == 3);
    bs_bulk_free(bulk);

    /* Exactly the requests bs_submit_salesforce_visitors sends for the same visitors. */
    mock_reset();
    char array[1024] = "[";
    for (int i = 0; i < N; i++) {
        strcat(array, visitors[i]);
        strcat(array, i + 1 < N ? "," : "]");
    }
    EXPECT_FREE(bs_submit_salesforce_visitors(client, "bulk", array, "Hi all", NULL, &err), err, BS_OK);
    l = ledger();
    char *array_bodies = ledger_bodies(l);
    CHECKF(strcmp(bulk_bodies, array_bodies) == 0 && count_of(bulk_bodies, "\n") == 3, "bulk:\n%sarray:\n%s",
           bulk_bodies, array_bodies);
    CHECK(contains(bulk_bodies, "\"extendedAttributes\":{\"loan\":250000}"));
    free(array_bodies);
    free(bulk_bodies);
    free(l);

    /* Field problems are recorded by add (BS_OK) and reported together by submit, with the
     * index of the add call that brought them; nothing is sent. */
    mock_reset();
    bulk = new_bulk("bulk", NULL);
    char visitor[128];
    for (int i = 0; i < 1500; i++) {
        if (i == 1000)
            snprintf(visitor, sizeof visitor, "{\"phoneNumber\": \"704555%04d\", \"tzName\": \"Mars/Base\"}", i);
        else if (i == 1499)
            snprintf(visitor, sizeof visitor, "{\"firstName\": \"No phone\"}");
        else
            snprintf(visitor, sizeof visitor, "{\"phoneNumber\": \"704555%04d\"}", i);
        bs_status s = bs_bulk_add_visitor(bulk, visitor, &err);
        if (s != BS_OK) CHECKF(0, "add %d: %s", i, bs_error_message(err));
        bs_error_free(err);
    }
    /* Visitors that are JSON but not objects: the core's validation, as in every other call. */
    const char *not_objects[] = {"[]", "42", "\"7045550100\"", "null", "true"};
    for (size_t i = 0; i < sizeof not_objects / sizeof *not_objects; i++) ADD(bulk, not_objects[i]);
    CHECK(bs_bulk_len(bulk) == 1505);
    results = (char *)&results;
    EXPECT(bs_submit_bulk(client, bulk, &results, &err), err, BS_ERR_VALIDATION);
    CHECK(results == NULL);
    CHECKF(field_error_at(err, "visitors[1000].tzName") && field_error_at(err, "visitors[1499].phoneNumber") &&
               field_error_at(err, "visitors[1500]") && field_error_at(err, "visitors[1504]"),
           "%s", bs_error_field_errors_json(err));
    CHECK(count_of(bs_error_field_errors_json(err), "\"path\"") == 7);
    CHECK(contains(bs_error_json(err), "\"code\":\"VALIDATION\"") && bs_error_partial_json(err) == NULL);
    bs_error_free(err);
    /* The validation error spent the bulk too. */
    EXPECT_FREE(bs_submit_bulk(client, bulk, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    bs_bulk_free(bulk);

    /* The listener id, message and an empty bulk are validated by submit, with the visitors. */
    bulk = new_bulk("", "");
    EXPECT(bs_submit_bulk(client, bulk, NULL, &err), err, BS_ERR_VALIDATION);
    CHECKF(field_error_at(err, "listenerId") && field_error_at(err, "visitors") && field_error_at(err, "args.message"),
           "%s", bs_error_field_errors_json(err));
    bs_error_free(err);
    bs_bulk_free(bulk);
    CHECK(ledger_total() == 0);

    /* A bulk never submitted is simply freed. */
    bulk = new_bulk("bulk", NULL);
    ADD(bulk, visitors[0]);
    bs_bulk_free(bulk);
    CHECK(ledger_total() == 0);
    bs_client_free(client);
}

static void test_bulk_builder_bad_input(void) {
    mock_reset();
    bs_client *client = default_client();
    bs_error *err = NULL;
    bs_bulk *bulk = (bs_bulk *)&bulk;

    /* bs_bulk_new: NULL or non-UTF-8 arguments; *out is NULL after a failure. */
    EXPECT(bs_bulk_new(NULL, NULL, &bulk, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(bulk == NULL && contains(bs_error_message(err), "listener_id must not be NULL"));
    bs_error_free(err);
    EXPECT_FREE(bs_bulk_new("bulk", NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    bulk = (bs_bulk *)&bulk;
    EXPECT_FREE(bs_bulk_new("bu\xffk", NULL, &bulk, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(bulk == NULL);
    EXPECT(bs_bulk_new("bulk", "Hi \xe2\x82", &bulk, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(bulk == NULL && contains(bs_error_message(err), "message is not valid UTF-8"));
    bs_error_free(err);
    CHECK(bs_bulk_new(NULL, NULL, &bulk, NULL) == BS_ERR_INVALID_ARGUMENT);

    /* NULL handles everywhere: errors (or 0, or nothing), never a crash. */
    CHECK(bs_bulk_len(NULL) == 0);
    bs_bulk_free(NULL);
    EXPECT_FREE(bs_bulk_add_visitor(NULL, VISITOR, &err), err, BS_ERR_INVALID_ARGUMENT);
    char *results = (char *)&results;
    EXPECT_FREE(bs_submit_bulk(client, NULL, &results, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(results == NULL);

    /* A NULL client does not spend the bulk: it can still be submitted. */
    bulk = new_bulk("bulk", NULL);
    ADD(bulk, VISITOR);
    results = (char *)&results;
    EXPECT(bs_submit_bulk(NULL, bulk, &results, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(results == NULL && contains(bs_error_message(err), "client must not be NULL"));
    bs_error_free(err);
    EXPECT_FREE(bs_submit_bulk(client, bulk, &results, &err), err, BS_OK);
    CHECK(count_of(results, "\"success\":true") == 1);
    bs_string_free(results);
    bs_bulk_free(bulk);
    CHECK(ledger_total() == 1);

    /* Text that is not a visitor's JSON: refused at once, naming the index but not the
     * content, and remembered: the bulk cannot be sent with that visitor missing. */
    mock_reset();
    const char *not_json[] = {"", " ", "{", "{\"phoneNumber\": }", "nul", "{\"a\": 1} trailing", "{'a': 1}",
                              "\"unterminated"};
    for (size_t i = 0; i < sizeof not_json / sizeof *not_json; i++) {
        bulk = new_bulk("bulk", NULL);
        ADD(bulk, VISITOR);
        EXPECT(bs_bulk_add_visitor(bulk, not_json[i], &err), err, BS_ERR_INVALID_ARGUMENT);
        CHECKF(contains(bs_error_message(err), "visitor_json (visitor 1) is not valid JSON"), "input %zu: %s", i,
               bs_error_message(err));
        bs_error_free(err);
        ADD(bulk, VISITOR);
        CHECK(bs_bulk_len(bulk) == 3);
        EXPECT(bs_submit_bulk(client, bulk, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
        CHECKF(contains(bs_error_message(err), "bs_bulk_add_visitor: visitor_json (visitor 1) is not valid JSON"),
               "input %zu: %s", i, bs_error_message(err));
        bs_error_free(err);
        bs_bulk_free(bulk);
    }
    bulk = new_bulk("bulk", NULL);
    EXPECT(bs_bulk_add_visitor(bulk, "{\"phoneNumber\": \"7045550100\" \"secretish\"}", &err), err,
           BS_ERR_INVALID_ARGUMENT);
    CHECK(!contains(bs_error_message(err), "7045550100") && !contains(bs_error_message(err), "secretish"));
    bs_error_free(err);
    /* Only the first bad visitor is reported by submit; each add reports its own. */
    EXPECT(bs_bulk_add_visitor(bulk, "{\"phoneNumber\": \"70455\xff\"}", &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(contains(bs_error_message(err), "visitor_json (visitor 1) is not valid UTF-8"));
    bs_error_free(err);
    EXPECT(bs_bulk_add_visitor(bulk, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(contains(bs_error_message(err), "visitor_json (visitor 2) must not be NULL"));
    bs_error_free(err);
    CHECK(bs_bulk_add_visitor(bulk, "{", NULL) == BS_ERR_INVALID_ARGUMENT);
    /* Nesting beyond the parser's limit: refused, not a stack overflow. */
    size_t depth = 100000;
    char *deep = malloc(depth + 1);
    memset(deep, '{', depth);
    deep[depth] = '\0';
    EXPECT_FREE(bs_bulk_add_visitor(bulk, deep, &err), err, BS_ERR_INVALID_ARGUMENT);
    free(deep);
    CHECK(bs_bulk_len(bulk) == 5);
    EXPECT(bs_submit_bulk(client, bulk, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(contains(bs_error_message(err), "(visitor 0) is not valid JSON") &&
          !contains(bs_error_message(err), "secretish"));
    bs_error_free(err);
    bs_bulk_free(bulk);
    CHECK(ledger_total() == 0);
    bs_client_free(client);
}

static void test_bulk_builder_partial(void) {
    mock_reset();
    bs_config *cfg = base_config();
    bs_config_set_batch_size(cfg, 2);
    bs_config_set_bulk_concurrency(cfg, 1);
    bs_client *client = build(cfg);
    /* The first batch goes through (a zero delay), the second gets a 500, the third never starts. */
    mock_fault("{\"faults\": [{\"operation\": \"submit_salesforce_visitors\", \"action\": \"delay\", \"delay_ms\": 0},"
               " {\"operation\": \"submit_salesforce_visitors\", \"action\": \"status\", \"status\": 500}]}");
    bs_error *err = NULL;
    bs_bulk *bulk = new_bulk("bulk", NULL);
    char visitor[64];
    for (int i = 0; i < 5; i++) {
        snprintf(visitor, sizeof visitor, "{\"phoneNumber\": \"704555010%d\"}", i);
        ADD(bulk, visitor);
    }
    char *results = (char *)&results;
    EXPECT(bs_submit_bulk(client, bulk, &results, &err), err, BS_ERR_PARTIAL);
    CHECK(results == NULL);
    const char *partial = bs_error_partial_json(err);
    CHECKF(contains(partial, "\"unconfirmed\":[2,3,4]") && contains(partial, "null,null,null]") &&
               count_of(partial, "\"requestId\"") == 2 && contains(partial, "\"cause\":\"api\""),
           "%s", partial);
    CHECK(bs_error_outcome_unknown(err) && bs_error_http_status(err) == 500);
    CHECK(contains(bs_error_message(err), "2 of 5 visitors accepted"));
    char id[37];
    char *l = ledger();
    CHECK(request_id_of(partial, id) && contains(l, id));
    CHECK(count_of(l, "\"operation\":\"submit_salesforce_visitors\"") == 2);
    free(l);
    bs_error_free(err);
    /* Whatever the outcome, the bulk is not sent twice. */
    EXPECT_FREE(bs_submit_bulk(client, bulk, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(ledger_total() == 2);
    bs_bulk_free(bulk);

    /* A failure of the only batch is that batch's error, not a partial one. */
    mock_reset();
    mock_fault("{\"operation\": \"submit_salesforce_visitors\", \"action\": \"status\", \"status\": 401}");
    bulk = new_bulk("bulk", NULL);
    ADD(bulk, VISITOR);
    EXPECT(bs_submit_bulk(client, bulk, NULL, &err), err, BS_ERR_AUTHENTICATION);
    CHECK(bs_error_partial_json(err) == NULL);
    bs_error_free(err);
    bs_bulk_free(bulk);
    bs_client_free(client);
}

static void test_ownership(void) {
    /* Every _free ignores NULL. */
    bs_string_free(NULL);
    bs_error_free(NULL);
    bs_config_free(NULL);
    bs_client_free(NULL);
    CHECK(1);

    /* Accessors on NULL read as "no error". */
    CHECK(bs_error_status(NULL) == BS_OK);
    CHECK(bs_error_message(NULL) != NULL && strcmp(bs_error_message(NULL), "") == 0);
    CHECK(bs_error_http_status(NULL) == 0 && bs_error_request_id(NULL) == NULL && bs_error_retries(NULL) == 0);
    CHECK(!bs_error_outcome_unknown(NULL) && bs_error_retry_after_ms(NULL) == -1);
    CHECK(strcmp(bs_error_field_errors_json(NULL), "[]") == 0 && bs_error_partial_json(NULL) == NULL);
    CHECK(strcmp(bs_error_json(NULL), "{}") == 0);

    /* The config is only read by bs_client_new: one config, two clients, config freed first. */
    mock_reset();
    bs_config *cfg = base_config();
    bs_client *a = NULL, *b = NULL;
    bs_error *err = NULL;
    EXPECT_FREE(bs_client_new(cfg, &a, &err), err, BS_OK);
    EXPECT_FREE(bs_client_new(cfg, &b, &err), err, BS_OK);
    bs_config_free(cfg);
    EXPECT_FREE(bs_submit_visitor(a, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
    EXPECT_FREE(bs_submit_visitor(b, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
    bs_client_free(b);

    /* Success sets *err to NULL (whatever it held: it is overwritten, not freed). */
    err = (bs_error *)&err;
    CHECK(bs_submit_visitor(a, "leads", VISITOR, NULL, NULL, &err) == BS_OK && err == NULL);

    /* An error outlives the client that produced it; its strings live until bs_error_free. */
    CHECK(bs_submit_visitor(a, "nope", VISITOR, NULL, NULL, &err) == BS_ERR_NOT_FOUND);
    const char *msg = bs_error_message(err);
    const char *rid = bs_error_request_id(err);
    bs_client_free(a);
    CHECK(contains(msg, "not found") && rid != NULL && strlen(rid) == 36);
    CHECK(msg == bs_error_message(err)); /* stable pointer, not a copy per call */
    bs_error_free(err);

    /* Failure clears every out-parameter; NULL error slots are fine everywhere. */
    char *out = (char *)&out;
    int status = 77;
    CHECK(bs_submit_visitor(NULL, "leads", VISITOR, NULL, &out, NULL) == BS_ERR_INVALID_ARGUMENT && out == NULL);
    out = (char *)&out;
    CHECK(bs_submit_salesforce_visitors(NULL, "bulk", "[]", NULL, &out, NULL) == BS_ERR_INVALID_ARGUMENT && out == NULL);
    out = (char *)&out;
    CHECK(bs_submit_lendingtree_lead(NULL, "lt", "<a/>", &status, &out, NULL) == BS_ERR_INVALID_ARGUMENT &&
          out == NULL && status == 0);
    out = (char *)&out;
    CHECK(bs_submit_visitor_simple(NULL, "leads", NULL, NULL, &out, NULL) == BS_ERR_INVALID_ARGUMENT && out == NULL);
    CHECK(bs_send_message(NULL, "hi", NULL, NULL) == BS_ERR_INVALID_ARGUMENT);
    CHECK(ledger_total() == 4);
}

static void test_bad_input(void) {
    bs_client *client = default_client();
    bs_error *err = NULL;
    mock_reset();

    /* NULL for every required pointer */
    EXPECT_FREE(bs_submit_visitor(NULL, "leads", VISITOR, NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    EXPECT(bs_submit_visitor(client, NULL, VISITOR, NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(contains(bs_error_message(err), "listener_id must not be NULL"));
    CHECK(contains(bs_error_json(err), "\"code\":\"INVALID_ARGUMENT\""));
    bs_error_free(err);
    EXPECT_FREE(bs_submit_visitor(client, "leads", NULL, NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_submit_salesforce_visitors(client, NULL, "[]", NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_submit_salesforce_visitors(client, "bulk", NULL, NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_submit_lendingtree_lead(client, NULL, "<a/>", NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_submit_lendingtree_lead(client, "lt", NULL, NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_send_message(client, NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_submit_visitor_simple(client, NULL, &(bs_visitor){.phone_number = "7045550100"}, NULL, NULL, &err),
                err, BS_ERR_INVALID_ARGUMENT);

    /* Invalid UTF-8 in every string parameter; the message names it and its offset. */
    const char *bad = "le\xc3\x28" "ds";
    EXPECT(bs_submit_visitor(client, bad, VISITOR, NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(contains(bs_error_message(err), "listener_id is not valid UTF-8") && contains(bs_error_message(err), "2"));
    bs_error_free(err);
    EXPECT_FREE(bs_submit_visitor(client, "leads", "{\"phoneNumber\": \"70455\xff\"}", NULL, NULL, &err), err,
                BS_ERR_INVALID_ARGUMENT);
    EXPECT(bs_submit_visitor(client, "leads", VISITOR, "Hi \xe2\x82", NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    CHECK(contains(bs_error_message(err), "message"));
    bs_error_free(err);
    EXPECT_FREE(bs_submit_salesforce_visitors(client, bad, "[]", NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_submit_salesforce_visitors(client, "bulk", "[\"\xfe\"]", NULL, NULL, &err), err,
                BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_submit_salesforce_visitors(client, "bulk", "[]", "\x80", NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_submit_lendingtree_lead(client, "lt", "<a>\xff</a>", NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_submit_lendingtree_lead(client, bad, "<a/>", NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_send_message(client, "caf\xe9", NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_send_message(client, "Hi", "{\"clientVisitorId\": \"\xc0\xaf\"}", &err), err,
                BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_submit_visitor_simple(client, "leads", &(bs_visitor){.phone_number = "704\xff"}, NULL, NULL, &err),
                err, BS_ERR_INVALID_ARGUMENT);
    EXPECT_FREE(bs_submit_visitor_simple(client, "leads", &(bs_visitor){.phone_number = "7045550100"}, "\xff", NULL, &err),
                err, BS_ERR_INVALID_ARGUMENT);

    /* Text that is not JSON, and JSON that does not end */
    const char *not_json[] = {"", " ", "{", "{\"phoneNumber\": }", "nul", "{\"a\": 1} trailing", "[1,]", "{'a': 1}",
                              "\"unterminated"};
    for (size_t i = 0; i < sizeof not_json / sizeof *not_json; i++) {
        EXPECT(bs_submit_visitor(client, "leads", not_json[i], NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
        CHECKF(contains(bs_error_message(err), "visitor_json is not valid JSON"), "input %zu: %s", i,
               bs_error_message(err));
        bs_error_free(err);
        EXPECT_FREE(bs_submit_salesforce_visitors(client, "bulk", not_json[i], NULL, NULL, &err), err,
                    BS_ERR_INVALID_ARGUMENT);
        EXPECT_FREE(bs_send_message(client, "Hi", not_json[i], &err), err, BS_ERR_INVALID_ARGUMENT);
    }
    /* The message names the problem, never the input (which may be personal data). */
    EXPECT(bs_submit_visitor(client, "leads", "{\"phoneNumber\": \"7045550100\" \"secretish\"}", NULL, NULL, &err), err,
           BS_ERR_INVALID_ARGUMENT);
    CHECK(!contains(bs_error_message(err), "7045550100") && !contains(bs_error_message(err), "secretish"));
    bs_error_free(err);

    /* JSON of the wrong shape */
    const char *not_objects[] = {"[]", "42", "\"7045550100\"", "null", "true"};
    for (size_t i = 0; i < sizeof not_objects / sizeof *not_objects; i++) {
        EXPECT(bs_submit_visitor(client, "leads", not_objects[i], NULL, NULL, &err), err, BS_ERR_VALIDATION);
        CHECKF(field_error_at(err, "visitor"), "%s", bs_error_field_errors_json(err));
        bs_error_free(err);
        EXPECT_FREE(bs_submit_salesforce_visitors(client, "bulk", not_objects[i][0] == '[' ? "{}" : not_objects[i], NULL,
                                                  NULL, &err),
                    err, BS_ERR_INVALID_ARGUMENT);
    }
    EXPECT(bs_submit_visitor(client, "leads",
                             "{\"phoneNumber\": 7045550100, \"firstName\": [], \"deliveryStatus\": \"202\","
                             " \"extendedAttributes\": [1], \"agentClientUserId\": {}, \"state\": 3}",
                             NULL, NULL, &err),
           err, BS_ERR_VALIDATION);
    CHECK(field_error_at(err, "visitor.phoneNumber") && field_error_at(err, "visitor.firstName") &&
          field_error_at(err, "visitor.deliveryStatus") && field_error_at(err, "visitor.extendedAttributes") &&
          field_error_at(err, "visitor.agentClientUserId") && field_error_at(err, "visitor.state"));
    bs_error_free(err);

    /* Empty strings: the core's validation (or config) errors */
    EXPECT(bs_submit_visitor(client, "", VISITOR, NULL, NULL, &err), err, BS_ERR_VALIDATION);
    CHECK(field_error_at(err, "listenerId"));
    bs_error_free(err);
    EXPECT(bs_submit_visitor(client, "leads", VISITOR, "", NULL, &err), err, BS_ERR_VALIDATION);
    CHECK(field_error_at(err, "args.message"));
    bs_error_free(err);
    EXPECT(bs_submit_visitor(client, "leads", "{\"phoneNumber\": \"\"}", NULL, NULL, &err), err, BS_ERR_VALIDATION);
    CHECK(field_error_at(err, "visitor.phoneNumber"));
    bs_error_free(err);
    EXPECT_FREE(bs_submit_lendingtree_lead(client, "", "<a/>", NULL, NULL, &err), err, BS_ERR_VALIDATION);
    EXPECT_FREE(bs_submit_visitor_simple(client, "leads", &(bs_visitor){.phone_number = ""}, NULL, NULL, &err), err,
                BS_ERR_VALIDATION);

    /* Nesting beyond the parser's limit: refused, not a stack overflow. */
    size_t depth = 100000;
    char *deep = malloc(depth + 1);
    memset(deep, '[', depth);
    deep[depth] = '\0';
    EXPECT_FREE(bs_submit_salesforce_visitors(client, "bulk", deep, NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    memset(deep, '{', depth);
    EXPECT_FREE(bs_submit_visitor(client, "leads", deep, NULL, NULL, &err), err, BS_ERR_INVALID_ARGUMENT);
    free(deep);

    /* Nothing above reached the server. */
    CHECK(ledger_total() == 0);

    /* Enormous inputs: large but acceptable goes through, too large for the server is its 413. */
    size_t big = 600 * 1024;
    const char *head = "{\"phoneNumber\": \"7045550100\", \"extendedAttributes\": {\"notes\": \"";
    const char *tail = "\"}}";
    char *huge = malloc(strlen(head) + 2 * big + strlen(tail) + 1);
    strcpy(huge, head);
    memset(huge + strlen(head), 'x', big);
    strcpy(huge + strlen(head) + big, tail);
    EXPECT_FREE(bs_submit_visitor(client, "leads", huge, NULL, NULL, &err), err, BS_OK);
    memset(huge + strlen(head), 'x', 2 * big);
    strcpy(huge + strlen(head) + 2 * big, tail);
    EXPECT(bs_submit_visitor(client, "leads", huge, NULL, NULL, &err), err, BS_ERR_API);
    CHECK(bs_error_http_status(err) == 413 && !bs_error_outcome_unknown(err));
    bs_error_free(err);
    /* An enormous listener id or text: an error status and a message, nothing worse. */
    char *long_text = malloc(2 * big + 1);
    memset(long_text, 'y', 2 * big);
    long_text[2 * big] = '\0';
    EXPECT(bs_send_message(client, long_text, NULL, &err), err, BS_ERR_API);
    CHECK(bs_error_http_status(err) == 413);
    bs_error_free(err);
    long_text[100 * 1024] = '\0';
    bs_status s = bs_submit_visitor(client, long_text, VISITOR, NULL, NULL, &err);
    CHECKF(s != BS_OK && err != NULL && strlen(bs_error_message(err)) > 0, "%s", bs_status_name(s));
    bs_error_free(err);
    free(long_text);
    free(huge);

    bs_client_free(client);
}

/* ------------------------------------------------------------------------------------------ */
/* Many threads, one client                                                                    */

/* 8 threads by default; BOTSPLASH_TEST_THREADS lowers it for slow runs (valgrind builds a
 * runtime and connection pool per thread at about 1.5 s each). */
#define MAX_THREADS 16
#define CALLS_PER_THREAD 15

struct worker {
    const bs_client *client;
    int index;
    int ok;
    char ids[CALLS_PER_THREAD][37];
};

static void *worker_main(void *arg) {
    struct worker *w = arg;
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        char *result = NULL;
        bs_error *err = NULL;
        char visitor[128];
        snprintf(visitor, sizeof visitor, "{\"phoneNumber\": \"70455%02d%03d\"}", w->index, i);
        if (bs_submit_visitor(w->client, "leads", visitor, NULL, &result, &err) == BS_OK && request_id_of(result, w->ids[i]))
            w->ok++;
        bs_string_free(result);
        bs_error_free(err);
        /* Errors are per call, too. */
        if (bs_send_message(w->client, "", NULL, &err) == BS_ERR_VALIDATION) w->ok++;
        bs_error_free(err);
    }
    return NULL;
}

static int compare_ids(const void *a, const void *b) { return strcmp(a, b); }

static void test_threads(void) {
    mock_reset();
    const char *env = getenv("BOTSPLASH_TEST_THREADS");
    int THREADS = env && atoi(env) >= 2 && atoi(env) <= MAX_THREADS ? atoi(env) : 8;
    bs_client *client = default_client();
    struct worker workers[MAX_THREADS];
    pthread_t threads[MAX_THREADS];
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (struct worker){.client = client, .index = t, .ok = 0};
        CHECK(pthread_create(&threads[t], NULL, worker_main, &workers[t]) == 0);
    }
    int ok = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        ok += workers[t].ok;
    }
    CHECKF(ok == THREADS * CALLS_PER_THREAD * 2, "%d of %d calls as expected", ok, THREADS * CALLS_PER_THREAD * 2);
    CHECK(ledger_total() == THREADS * CALLS_PER_THREAD);
    static char ids[MAX_THREADS * CALLS_PER_THREAD][37];
    for (int t = 0; t < THREADS; t++) memcpy(ids[t * CALLS_PER_THREAD], workers[t].ids, sizeof workers[t].ids);
    qsort(ids, THREADS * CALLS_PER_THREAD, 37, compare_ids);
    int unique = 1;
    for (int i = 1; i < THREADS * CALLS_PER_THREAD; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0) unique = 0;
    CHECK(unique);
    /* The threads are gone; the client still works on this one and is freed cleanly. */
    bs_error *err = NULL;
    EXPECT_FREE(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
    bs_client_free(client);
}

/* A client used before fork() keeps working in the child (it builds its own runtime) and in
 * the parent. The child reports through a pipe and then kills itself: the runtime it inherited
 * is deliberately leaked (dropping it would act on the parent's sockets), and a normal exit
 * would let valgrind/LeakSanitizer in the child count that as a leak. */
static void test_fork(void) {
    mock_reset();
    bs_client *client = default_client();
    bs_error *err = NULL;
    EXPECT_FREE(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        bs_error *child_err = NULL;
        char verdict = bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &child_err) == BS_OK ? 'y' : 'n';
        if (write(fds[1], &verdict, 1) != 1) verdict = 'n';
        raise(SIGKILL);
    }
    close(fds[1]);
    char verdict = '?';
    CHECK(read(fds[0], &verdict, 1) == 1 && verdict == 'y');
    close(fds[0]);
    waitpid(pid, NULL, 0);
    EXPECT_FREE(bs_submit_visitor(client, "leads", VISITOR, NULL, NULL, &err), err, BS_OK);
    CHECK(ledger_total() == 3);
    bs_client_free(client);
}

/* ------------------------------------------------------------------------------------------ */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define RUN(fn)                                                  \
    do {                                                         \
        current_test = #fn;                                      \
        double started = now_seconds();                          \
        fn();                                                    \
        printf("# %s (%.2f s)\n", #fn, now_seconds() - started); \
        fflush(stdout);                                          \
    } while (0)

int main(void) {
    /* The tests set the environment they need; an inherited BOTSPLASH_* would change them. */
    const char *vars[] = {"BOTSPLASH_APP_ID", "BOTSPLASH_API_KEY", "BOTSPLASH_USERNAME", "BOTSPLASH_PASSWORD",
                          "BOTSPLASH_BASE_URL", "BOTSPLASH_API_KEY_IN", "BOTSPLASH_TIMEOUT",
                          "BOTSPLASH_CONNECT_TIMEOUT", "BOTSPLASH_MAX_RETRIES", "BOTSPLASH_RETRY_UNKNOWN_OUTCOME",
                          "BOTSPLASH_BATCH_SIZE", "BOTSPLASH_BULK_CONCURRENCY"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) unsetenv(vars[i]);
    signal(SIGPIPE, SIG_IGN);

    /* Listener ids are restricted so that an unknown one is a real 404; the body limit is small
     * so that "enormous input" tests stay fast under valgrind. */
    static const char *const mock_args[] = {"--listener", "leads", "--listener", "bulk", "--listener", "lt",
                                            "--max-body-bytes", "1048576", NULL};
    if (start_mock(mock_args) != 0) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    printf("# mock at %s, libbotsplash %s\n", mock_url, bs_version());

    RUN(test_version_and_status_names);
    RUN(test_config_errors);
    RUN(test_config_setter_arguments);
    RUN(test_config_from_env);
    RUN(test_auth_modes);
    RUN(test_submit_visitor);
    RUN(test_submit_visitor_simple);
    RUN(test_salesforce);
    RUN(test_lendingtree);
    RUN(test_send_message);
    RUN(test_status_codes);
    RUN(test_partial_bulk);
    RUN(test_bulk_builder);
    RUN(test_bulk_builder_bad_input);
    RUN(test_bulk_builder_partial);
    RUN(test_ownership);
    RUN(test_bad_input);
    RUN(test_threads);
    RUN(test_fork);

    stop_mock();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
