/*
 * Quickstart: every operation and how to handle its errors (C).
 *
 * Configuration comes from the environment: BOTSPLASH_APP_ID, BOTSPLASH_API_KEY (or
 * BOTSPLASH_USERNAME + BOTSPLASH_PASSWORD) and BOTSPLASH_BASE_URL (scripts/demo.sh points it at
 * a local mock server). From the repository root:
 *
 *   cargo build -p botsplash-c
 *   cc -std=c11 -Wall -Wextra -I bindings-c/include examples/c/quickstart.c \
 *      -L target/debug -Wl,-rpath,"$PWD/target/debug" -lbotsplash -o quickstart
 *   ./quickstart
 *
 * Ownership, as everywhere in libbotsplash: handles are freed with their own _free function,
 * strings returned through char** with bs_string_free, and strings from bs_error_* accessors
 * belong to the error. Every _free ignores NULL, so one cleanup block at the end can free
 * everything whether or not it was set.
 */
#include <botsplash.h>
#include <stdio.h>
#include <stdlib.h>

/* Everything an error carries besides its field errors. */
static void print_error(const bs_error *err) {
    const char *request_id = bs_error_request_id(err);
    printf("%s: %s\n", bs_status_name(bs_error_status(err)), bs_error_message(err));
    printf("  HTTP status %d, request id %s, retries %u, outcome unknown: %s\n", bs_error_http_status(err),
           request_id ? request_id : "(none)", (unsigned)bs_error_retries(err),
           bs_error_outcome_unknown(err) ? "true" : "false");
    if (bs_error_outcome_unknown(err))
        printf("  the lead may have been delivered: do not resend it blindly\n");
}

int main(void) {
    int exit_code = 1;
    const char *step = NULL; /* the call that failed, for the final report */
    bs_config *cfg = NULL, *wrong_cfg = NULL;
    bs_client *client = NULL, *wrong_app = NULL;
    bs_error *err = NULL;
    char *request_id = NULL, *result_json = NULL, *results_json = NULL, *response_xml = NULL;
    int http_status = 0;

    /* BOTSPLASH_* are read and checked here: a missing app id or credential is BS_ERR_CONFIG. */
    step = "bs_config_from_env";
    if (bs_config_from_env(&cfg, &err) != BS_OK) goto done;
    step = "bs_client_new";
    if (bs_client_new(cfg, &client, &err) != BS_OK) goto done;
    printf("client: libbotsplash %s, configured from BOTSPLASH_*\n", bs_version());

    /* One visitor, with a first message, through the typed call: no JSON needed. */
    bs_visitor ann = {
        .phone_number = "+1 (704) 555-0100",
        .first_name = "Ann",
        .last_name = "Lee",
        .email = "ann.lee@example.com",
        .state = "NC",
        .tz_name = "America/New_York",
        .client_visitor_id = "crm-1001",
    };
    step = "bs_submit_visitor_simple";
    if (bs_submit_visitor_simple(client, "new-leads", &ann, "Hi Ann, this is Botsplash Lending!", &request_id, &err) != BS_OK)
        goto done;
    printf("bs_submit_visitor_simple: request_id=%s\n", request_id);

    /* The same operation with a JSON visitor, for what the struct has no field for. */
    step = "bs_submit_visitor";
    if (bs_submit_visitor(client, "new-leads",
                          "{\"phoneNumber\": \"704-555-0101\", \"firstName\": \"Bea\","
                          " \"extendedAttributes\": {\"loanAmount\": 250000, \"source\": \"web\"}}",
                          NULL, &result_json, &err) != BS_OK)
        goto done;
    printf("bs_submit_visitor: %s\n", result_json);

    /* Many visitors: sent in batches; the results array is in input order. */
    step = "bs_submit_salesforce_visitors";
    if (bs_submit_salesforce_visitors(client, "salesforce-leads",
                                      "[{\"phoneNumber\": \"704-555-0200\", \"firstName\": \"Lead 0\"},"
                                      " {\"phoneNumber\": \"704-555-0201\", \"firstName\": \"Lead 1\"},"
                                      " {\"phoneNumber\": \"704-555-0202\", \"firstName\": \"Lead 2\"}]",
                                      NULL, &results_json, &err) != BS_OK)
        goto done;
    printf("bs_submit_salesforce_visitors: %s\n", results_json);

    /* A LendingTree lead, XML in and XML out. */
    step = "bs_submit_lendingtree_lead";
    if (bs_submit_lendingtree_lead(client, "lendingtree",
                                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?><LeadInformation>"
                                   "<FirstName>Bo</FirstName><Phone>7045550300</Phone></LeadInformation>",
                                   &http_status, &response_xml, &err) != BS_OK)
        goto done;
    printf("bs_submit_lendingtree_lead: HTTP %d %s\n", http_status, response_xml);

    /* A direct message to a known visitor. */
    step = "bs_send_message";
    if (bs_send_message(client, "Your documents are ready to sign.", "{\"clientVisitorId\": \"crm-1001\"}", &err) != BS_OK)
        goto done;
    printf("bs_send_message: sent\n");

    /* Bad input is caught before anything is sent, with every field's path. */
    step = "bs_submit_visitor with an invalid visitor (expected BS_ERR_VALIDATION)";
    bs_status status = bs_submit_visitor(client, "new-leads", "{\"phoneNumber\": \"555\", \"state\": \"XX\", \"tzName\": \"Eastern\"}",
                                         NULL, NULL, &err);
    if (status != BS_ERR_VALIDATION) goto done;
    printf("%s: %s\n", bs_status_name(status), bs_error_message(err));
    printf("  field errors: %s\n", bs_error_field_errors_json(err));
    bs_error_free(err); /* handled: free it before the variable is reused */
    err = NULL;

    /* Server-side failures carry the HTTP status, the request id and whether the lead may have
     * arrived. A setter beats the environment: same credentials, an app id the server does not
     * know. */
    step = "bs_config_from_env";
    if (bs_config_from_env(&wrong_cfg, &err) != BS_OK) goto done;
    step = "bs_config_set_app_id";
    if (bs_config_set_app_id(wrong_cfg, "no-such-app") != BS_OK) goto done;
    step = "bs_client_new";
    if (bs_client_new(wrong_cfg, &wrong_app, &err) != BS_OK) goto done;
    step = "bs_submit_visitor to an unknown app (expected an error)";
    status = bs_submit_visitor(wrong_app, "new-leads", "{\"phoneNumber\": \"7045550100\"}", NULL, NULL, &err);
    if (status == BS_OK) goto done;
    print_error(err);
    bs_error_free(err);
    err = NULL;

    exit_code = 0;

done:
    if (exit_code != 0) {
        fflush(stdout); /* what worked first, also when both go to one pipe */
        fprintf(stderr, "quickstart failed in %s", step);
        if (err) fprintf(stderr, ": %s: %s", bs_status_name(bs_error_status(err)), bs_error_message(err));
        fprintf(stderr, "\n");
    }
    bs_string_free(request_id);
    bs_string_free(result_json);
    bs_string_free(results_json);
    bs_string_free(response_xml);
    bs_error_free(err);
    bs_client_free(wrong_app);
    bs_client_free(client);
    bs_config_free(wrong_cfg);
    bs_config_free(cfg);
    return exit_code;
}
