/*
 * C side of the SDK benchmarks (driven by bench/run.sh; prints one JSON document).
 *
 *   bench seq  --url BASE --listener ID --message TEXT --visitor JSON --simple FIELDS
 *              [--n N] [--warmup W] [--rounds R]
 *       sequential keep-alive New Visitor posts: libcurl with one reused easy handle (what a C
 *       programmer writes by hand, and a ceiling candidate), the C ABI's bs_submit_visitor
 *       (visitor as JSON text) and bs_submit_visitor_simple (a bs_visitor struct; it has no
 *       deliveryStatus/extendedAttributes, so its body is smaller). The cases alternate.
 *   bench bulk --url BASE --listener ID --message TEXT --visitor-rest JSON [--count N] [--only ID,...]
 *       N visitors in one bulk submission, two ways, each in a fresh process of its own (this
 *       program runs itself again with `bulk-case ID`) so that each peak RSS is its own:
 *       c-bulk: bs_bulk_new, bs_bulk_add_visitor per visitor as it is produced (as rows come
 *         from a file or a cursor), bs_submit_bulk; no array string ever exists;
 *       c-bulk-array: one JSON array string of all visitors built first, then one
 *         bs_submit_salesforce_visitors call.
 *       Wall time (from the first visitor handed over to the last result) and peak RSS.
 *
 * The inputs come from bench/payload.json through bench/payload.py, so every language sends
 * the same request. Every answer is checked (HTTP 200 and a request id).
 */
#define _GNU_SOURCE
#include <botsplash.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define APP_ID "demo-app"
#define API_KEY "demo-key"

static const char *opt_url, *opt_listener, *opt_message, *opt_visitor, *opt_simple, *opt_rest;
/* --only ID[,ID...]: the cases to run (all by default); for profiling one case. */
static const char *opt_only;
static long opt_n = 20000, opt_warmup = 1000, opt_rounds = 3, opt_count = 100000;

static void die(const char *what) {
    fprintf(stderr, "bench: %s\n", what);
    exit(2);
}

static uint64_t now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One case: a call that returns 1 on success. */
typedef int (*call_fn)(void *ctx);

/* Times opt_n calls after opt_warmup untimed ones; appends the round's JSON to out. */
static void timed_round(call_fn call, void *ctx, char *out, size_t cap) {
    long errors = 0;
    for (long i = 0; i < opt_warmup; i++) errors += !call(ctx);
    uint64_t *lat = malloc(sizeof(uint64_t) * (size_t)opt_n);
    if (!lat) die("out of memory");
    uint64_t cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), start = now_ns(CLOCK_MONOTONIC);
    for (long i = 0; i < opt_n; i++) {
        uint64_t t = now_ns(CLOCK_MONOTONIC);
        errors += !call(ctx);
        lat[i] = now_ns(CLOCK_MONOTONIC) - t;
    }
    double seconds = (double)(now_ns(CLOCK_MONOTONIC) - start) / 1e9;
    double cpu_us = (double)(now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e3 / (double)opt_n;
    qsort(lat, (size_t)opt_n, sizeof(uint64_t), cmp_u64);
    /* nearest-rank percentiles, as in every other language's bench */
    long r50 = (long)((0.50 * (double)opt_n) + 0.999999), r99 = (long)((0.99 * (double)opt_n) + 0.999999);
    if (r50 < 1) r50 = 1;
    if (r99 < 1) r99 = 1;
    size_t len = strlen(out);
    snprintf(out + len, cap - len,
             "%s{\"calls\":%ld,\"seconds\":%.6f,\"calls_per_s\":%.3f,\"p50_us\":%.3f,\"p99_us\":%.3f,"
             "\"cpu_us_per_call\":%.3f,\"errors\":%ld,\"concurrency\":1}",
             out[len - 1] == '[' ? "" : ",", opt_n, seconds, (double)opt_n / seconds, (double)lat[r50 - 1] / 1e3,
             (double)lat[r99 - 1] / 1e3, cpu_us, errors);
    free(lat);
}

/* ---- libcurl, one easy handle reused for every call ---------------------------------------- */

struct buf {
    char *data;
    size_t len, cap;
};

static size_t on_body(char *chunk, size_t size, size_t n, void *userdata) {
    struct buf *b = userdata;
    size_t add = size * n;
    if (b->len + add + 1 > b->cap) {
        size_t cap = (b->len + add + 1) * 2;
        char *grown = realloc(b->data, cap);
        if (!grown) return 0;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, chunk, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

struct curl_ctx {
    CURL *easy;
    struct buf body;
};

static int curl_call(void *p) {
    struct curl_ctx *c = p;
    c->body.len = 0;
    if (c->body.data) c->body.data[0] = '\0';
    if (curl_easy_perform(c->easy) != CURLE_OK) return 0;
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    return status == 200 && c->body.data && strstr(c->body.data, "\"requestId\":\"") != NULL;
}

/* ---- the C ABI ------------------------------------------------------------------------------- */

struct sdk_ctx {
    bs_client *client;
    bs_visitor simple;
};

static int sdk_json_call(void *p) {
    struct sdk_ctx *c = p;
    char *result = NULL;
    bs_error *err = NULL;
    int ok = bs_submit_visitor(c->client, opt_listener, opt_visitor, opt_message, &result, &err) == BS_OK &&
             strstr(result, "\"requestId\":\"") != NULL;
    bs_string_free(result);
    bs_error_free(err);
    return ok;
}

static int sdk_simple_call(void *p) {
    struct sdk_ctx *c = p;
    char *request_id = NULL;
    bs_error *err = NULL;
    int ok = bs_submit_visitor_simple(c->client, opt_listener, &c->simple, opt_message, &request_id, &err) == BS_OK &&
             request_id != NULL && request_id[0] != '\0';
    bs_string_free(request_id);
    bs_error_free(err);
    return ok;
}

static bs_client *new_client(void) {
    bs_config *cfg = bs_config_new();
    bs_client *client = NULL;
    bs_error *err = NULL;
    bs_config_set_app_id(cfg, APP_ID);
    bs_config_set_api_key(cfg, API_KEY, BS_API_KEY_IN_QUERY);
    bs_config_set_base_url(cfg, opt_url);
    if (bs_client_new(cfg, &client, &err) != BS_OK) {
        fprintf(stderr, "bench: bs_client_new: %s\n", bs_error_message(err));
        exit(1);
    }
    bs_config_free(cfg);
    return client;
}

/* Splits the newline-separated --simple fields into the struct (the strings stay in argv). */
static void fill_simple(bs_visitor *v, char *fields) {
    const char **slots[] = {&v->phone_number, &v->first_name, &v->last_name, &v->email,
                            &v->state, &v->tz_name, &v->client_visitor_id, &v->agent_client_user_id};
    memset(v, 0, sizeof *v);
    char *save = NULL, *field = strtok_r(fields, "\n", &save);
    for (size_t i = 0; field && i < sizeof slots / sizeof slots[0]; i++, field = strtok_r(NULL, "\n", &save))
        *slots[i] = field[0] ? field : NULL;
}

/* Whether id is one of the comma-separated names in list. */
static int listed(const char *list, const char *id) {
    size_t n = strlen(id);
    for (const char *p = list; (p = strstr(p, id)); p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return 1;
    return 0;
}

static void run_seq(void) {
    if (!opt_visitor || !opt_simple) die("seq needs --visitor and --simple");
    /* The body a hand-written client sends: {"visitor": ..., "args": {"message": ...}}. */
    size_t body_len = strlen(opt_visitor) + strlen(opt_message) + 64;
    char *body = malloc(body_len), *url = malloc(strlen(opt_url) + strlen(opt_listener) + 128);
    if (!body || !url) die("out of memory");
    /* The message comes from payload.json and needs no escaping. */
    snprintf(body, body_len, "{\"visitor\":%s,\"args\":{\"message\":\"%s\"}}", opt_visitor, opt_message);
    sprintf(url, "%s/%s/listener/botsplash/%s?api_key=%s", opt_url, APP_ID, opt_listener, API_KEY);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct curl_ctx cc = {.easy = curl_easy_init()};
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Accept: application/json");
    curl_easy_setopt(cc.easy, CURLOPT_URL, url);
    curl_easy_setopt(cc.easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(cc.easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(cc.easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(cc.easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(cc.easy, CURLOPT_WRITEDATA, &cc.body);
    curl_easy_setopt(cc.easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(cc.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(cc.easy, CURLOPT_TIMEOUT_MS, 30000L);

    struct sdk_ctx sc = {.client = new_client()};
    fill_simple(&sc.simple, (char *)opt_simple);

    struct {
        const char *id, *label, *role;
        call_fn call;
        void *ctx;
    } cases[] = {
        {"c-libcurl", "libcurl, reused easy handle", "baseline", curl_call, &cc},
        {"c-json", "C ABI bs_submit_visitor (JSON text)", "sdk", sdk_json_call, &sc},
        {"c-simple", "C ABI bs_submit_visitor_simple (struct; no deliveryStatus/extendedAttributes)", "sdk",
         sdk_simple_call, &sc},
    };
    enum { NCASES = sizeof cases / sizeof cases[0] };
    size_t cap = 4096 + (size_t)opt_rounds * 512;
    char *rounds[NCASES];
    for (int i = 0; i < NCASES; i++) {
        rounds[i] = calloc(1, cap);
        if (!rounds[i]) die("out of memory");
        rounds[i][0] = '[';
    }
    int selected[NCASES], first = 1;
    for (int i = 0; i < NCASES; i++) selected[i] = !opt_only || listed(opt_only, cases[i].id);
    for (long r = 0; r < opt_rounds; r++)
        for (int i = 0; i < NCASES; i++)
            if (selected[i]) timed_round(cases[i].call, cases[i].ctx, rounds[i], cap);

    printf("{\"suite\":\"sequential\",\"language\":\"c\",\"cases\":[");
    for (int i = 0; i < NCASES; i++) {
        if (!selected[i]) continue;
        printf("%s{\"id\":\"%s\",\"label\":\"%s\",\"role\":\"%s\",\"language\":\"c\",\"concurrency\":1,\"rounds\":%s]}",
               first ? "" : ",", cases[i].id, cases[i].label, cases[i].role, rounds[i]);
        first = 0;
    }
    printf("]}\n");

    for (int i = 0; i < NCASES; i++) free(rounds[i]);
    bs_client_free(sc.client);
    curl_slist_free_all(headers);
    curl_easy_cleanup(cc.easy);
    curl_global_cleanup();
    free(cc.body.data);
    free(body);
    free(url);
}

static long status_kb(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) kb = strtol(line + n, NULL, 10);
    if (f) fclose(f);
    return kb;
}

/* Visitor i of the bulk, the same in both cases (phoneNumber, clientVisitorId and email vary). */
static int format_visitor(char *out, size_t cap, long i) {
    return snprintf(out, cap,
                    "{\"phoneNumber\":\"+1704%07ld\",\"clientVisitorId\":\"crm-%ld\",\"email\":\"lead%ld@example.com\",%s}",
                    i, i, i, opt_rest);
}

/* The bulk cases; `bench bulk` runs each in a process of its own. */
static const struct {
    const char *id, *label, *input;
} bulk_cases[] = {
    {"c-bulk", "C ABI bs_bulk (bs_bulk_add_visitor per visitor)", "bs_bulk_add_visitor per visitor as produced (no array string)"},
    {"c-bulk-array", "C ABI bs_submit_salesforce_visitors (one JSON array)", "one JSON array string (built before the call)"},
};
enum { NBULK = sizeof bulk_cases / sizeof bulk_cases[0] };

/* One bulk case in this process: prints its JSON case object. */
static void run_bulk_case(const char *id) {
    int which = -1;
    for (int i = 0; i < NBULK; i++)
        if (!strcmp(id, bulk_cases[i].id)) which = i;
    if (which < 0) die("unknown bulk case");
    bs_client *client = new_client();
    long rss_start = status_kb("VmRSS:"), rss_input;
    char *results = NULL;
    bs_error *err = NULL;
    bs_status status;
    uint64_t start;
    if (which == 0) {
        /* Each visitor is formatted into one small buffer and handed over at once. */
        size_t cap = strlen(opt_rest) + 128;
        char *visitor = malloc(cap);
        bs_bulk *bulk = NULL;
        if (!visitor) die("out of memory");
        rss_input = status_kb("VmRSS:");
        start = now_ns(CLOCK_MONOTONIC);
        status = bs_bulk_new(opt_listener, opt_message, &bulk, &err);
        for (long i = 0; status == BS_OK && i < opt_count; i++) {
            format_visitor(visitor, cap, i);
            status = bs_bulk_add_visitor(bulk, visitor, &err);
        }
        if (status == BS_OK) status = bs_submit_bulk(client, bulk, &results, &err);
        bs_bulk_free(bulk);
        free(visitor);
    } else {
        /* The JSON array a C program would hand over: one visitor object per lead. */
        size_t per = strlen(opt_rest) + 128, cap = per * (size_t)opt_count + 16, len = 0;
        char *json = malloc(cap);
        if (!json) die("out of memory");
        json[len++] = '[';
        for (long i = 0; i < opt_count; i++) {
            if (i) json[len++] = ',';
            len += (size_t)format_visitor(json + len, cap - len, i);
        }
        json[len++] = ']';
        json[len] = '\0';
        rss_input = status_kb("VmRSS:");
        start = now_ns(CLOCK_MONOTONIC);
        status = bs_submit_salesforce_visitors(client, opt_listener, json, opt_message, &results, &err);
        free(json);
    }
    double seconds = (double)(now_ns(CLOCK_MONOTONIC) - start) / 1e9;
    long accepted = 0;
    for (const char *p = results; p && (p = strstr(p, "\"success\":true")); p++) accepted++;
    long peak = status_kb("VmHWM:");
    printf("{\"id\":\"%s\",\"label\":\"%s\",\"language\":\"c\",\"visitors\":%ld,\"accepted\":%ld,\"error\":",
           bulk_cases[which].id, bulk_cases[which].label, opt_count, accepted);
    if (status == BS_OK)
        printf("null");
    else
        printf("\"%s\"", bs_status_name(status));
    printf(",\"seconds\":%.6f,\"rss_start_bytes\":%ld,\"rss_input_bytes\":%ld,\"peak_rss_bytes\":%ld,\"input\":\"%s\"}",
           seconds, rss_start * 1024, rss_input * 1024, peak * 1024, bulk_cases[which].input);
    if (status != BS_OK) fprintf(stderr, "bench: %s: %s\n", bulk_cases[which].id, bs_error_message(err));
    bs_string_free(results);
    bs_error_free(err);
    bs_client_free(client);
}

/* Runs every selected bulk case in a fresh copy of this program and prints the suite. */
static void run_bulk(int argc, char **argv) {
    if (!opt_rest) die("bulk needs --visitor-rest");
    printf("{\"suite\":\"bulk\",\"language\":\"c\",\"cases\":[");
    int first = 1, failed = 0;
    for (int c = 0; c < NBULK; c++) {
        if (opt_only && !listed(opt_only, bulk_cases[c].id)) continue;
        /* argv with "bulk" replaced by "bulk-case ID" (the options stay as they were). */
        char **child_argv = calloc((size_t)argc + 2, sizeof *child_argv);
        if (!child_argv) die("out of memory");
        child_argv[0] = argv[0];
        child_argv[1] = "bulk-case";
        child_argv[2] = (char *)bulk_cases[c].id;
        for (int i = 2; i < argc; i++) child_argv[i + 1] = argv[i];
        int fds[2];
        if (pipe(fds) != 0) die("pipe failed");
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) die("fork failed");
        if (pid == 0) {
            dup2(fds[1], STDOUT_FILENO);
            close(fds[0]);
            close(fds[1]);
            execv("/proc/self/exe", child_argv);
            _exit(127);
        }
        close(fds[1]);
        size_t cap = 4096, len = 0;
        char *out = malloc(cap);
        ssize_t r;
        while (out && (r = read(fds[0], out + len, cap - len - 1)) > 0)
            if ((len += (size_t)r) + 1 == cap) out = realloc(out, cap *= 2);
        close(fds[0]);
        int wstatus = 0;
        waitpid(pid, &wstatus, 0);
        if (!out) die("out of memory");
        out[len] = '\0';
        if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 || len == 0) {
            fprintf(stderr, "bench: bulk case %s failed (status %d)\n", bulk_cases[c].id, wstatus);
            failed = 1;
        } else {
            printf("%s%s", first ? "" : ",", out);
            first = 0;
        }
        free(out);
        free(child_argv);
    }
    printf("]}\n");
    if (failed) exit(1);
}

int main(int argc, char **argv) {
    if (argc < 2) die("usage: bench seq|bulk --url BASE ...");
    /* bulk-case ID: one bulk case, run by `bench bulk` in a process of its own. */
    const char *bulk_case = NULL;
    int first_option = 2;
    if (!strcmp(argv[1], "bulk-case")) {
        if (argc < 3) die("bulk-case needs a case id");
        bulk_case = argv[2];
        first_option = 3;
    }
    for (int i = first_option; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--url")) opt_url = v;
        else if (!strcmp(k, "--listener")) opt_listener = v;
        else if (!strcmp(k, "--message")) opt_message = v;
        else if (!strcmp(k, "--visitor")) opt_visitor = v;
        else if (!strcmp(k, "--simple")) opt_simple = v;
        else if (!strcmp(k, "--visitor-rest")) opt_rest = v;
        else if (!strcmp(k, "--n")) opt_n = atol(v);
        else if (!strcmp(k, "--warmup")) opt_warmup = atol(v);
        else if (!strcmp(k, "--rounds")) opt_rounds = atol(v);
        else if (!strcmp(k, "--count")) opt_count = atol(v);
        else if (!strcmp(k, "--only")) opt_only = v;
        else die("unknown option");
    }
    if (!opt_url || !opt_listener || !opt_message || opt_n < 1 || opt_rounds < 1 || opt_count < 1)
        die("--url, --listener and --message are required; counts must be positive");
    if (!strcmp(argv[1], "seq")) run_seq();
    else if (!strcmp(argv[1], "bulk")) run_bulk(argc, argv);
    else if (bulk_case) run_bulk_case(bulk_case);
    else die("mode must be seq or bulk");
    return 0;
}
