/*
 * The simplest libbotsplash program: submit one visitor to a listener, no JSON needed.
 *
 * Configuration comes from the environment: BOTSPLASH_APP_ID, BOTSPLASH_API_KEY (or
 * BOTSPLASH_USERNAME and BOTSPLASH_PASSWORD), and optionally BOTSPLASH_BASE_URL.
 *
 *   cc hello.c $(pkg-config --cflags --libs botsplash) -o hello
 *   ./hello new-leads
 */
#include <botsplash.h>
#include <stdio.h>

int main(int argc, char **argv) {
    const char *listener = argc > 1 ? argv[1] : "new-leads";
    bs_config *cfg = NULL;
    bs_client *client = NULL;
    bs_error *err = NULL;
    char *request_id = NULL;
    int exit_code = 1;

    if (bs_config_from_env(&cfg, &err) != BS_OK) goto done;
    if (bs_client_new(cfg, &client, &err) != BS_OK) goto done;

    bs_visitor ann = {
        .phone_number = "+1 704 555 0100",
        .first_name = "Ann",
        .tz_name = "America/New_York",
    };
    if (bs_submit_visitor_simple(client, listener, &ann, "Hi Ann, thanks for your interest!", &request_id, &err) != BS_OK)
        goto done;
    printf("accepted as %s\n", request_id);
    exit_code = 0;

done:
    if (err) {
        fprintf(stderr, "botsplash: %s: %s\n", bs_status_name(bs_error_status(err)), bs_error_message(err));
        if (bs_error_outcome_unknown(err)) fprintf(stderr, "(the request may have been processed: do not resend blindly)\n");
    }
    bs_string_free(request_id);
    bs_error_free(err);
    bs_client_free(client);
    bs_config_free(cfg);
    return exit_code;
}
