/*
 * The botsplash-mock process, a tiny HTTP client for its /__mock control API and a loopback
 * port nobody listens on, shared by the C test programs (test_botsplash.c, conformance.c).
 *
 * Header-only, with static functions and globals: each test program is one translation unit
 * that test.sh compiles with a single cc call per stage (plain, ASan, static, ...), so a shared
 * .c file would add a compile-and-link step to every stage for no gain. Include it once, with
 * _GNU_SOURCE defined before any system header (strcasestr). A program that includes it must use
 * every function here: they are plain statics, and -Wall -Werror rejects an unused one.
 */
#ifndef BOTSPLASH_TESTS_MOCK_SERVER_H
#define BOTSPLASH_TESTS_MOCK_SERVER_H

#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE before including any header (mock_server.h uses strcasestr)"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* Not every platform has it; there, the caller has to ignore SIGPIPE itself. */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* One mock for the whole run. mock_url is the API base URL ("http://127.0.0.1:PORT"). */
static pid_t mock_pid = -1;
static int mock_stdout = -1;
static int mock_port;
static char mock_url[256];

/* $BOTSPLASH_MOCK_BIN, else the cargo build output seen from the repository root or bindings-c/. */
static const char *mock_binary(void) {
    const char *env = getenv("BOTSPLASH_MOCK_BIN");
    if (env && *env) return env;
    static const char *const candidates[] = {"target/debug/botsplash-mock", "../target/debug/botsplash-mock"};
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++)
        if (access(candidates[i], X_OK) == 0) return candidates[i];
    return NULL;
}

static void stop_mock(void) {
    if (mock_pid > 0) {
        kill(mock_pid, SIGTERM);
        while (waitpid(mock_pid, NULL, 0) < 0 && errno == EINTR) {
        }
        mock_pid = -1;
    }
    if (mock_stdout >= 0) close(mock_stdout);
    mock_stdout = -1;
}

/* Starts the mock on a free port with `extra_args` (a NULL-terminated list, or NULL for the
 * mock's defaults) after "--port 0", and reads its URL from the first line it prints. Returns 0,
 * or -1 with a reason on stderr and nothing left running. The mock's stderr goes to /dev/null
 * unless BOTSPLASH_TEST_VERBOSE is set. */
static int start_mock(const char *const *extra_args) {
    const char *bin = mock_binary();
    if (!bin) {
        fprintf(stderr, "botsplash-mock not found: build it (cargo build -p botsplash-mock) or set BOTSPLASH_MOCK_BIN\n");
        return -1;
    }
    size_t extra = 0;
    while (extra_args && extra_args[extra]) extra++;
    /* Built before fork(): the child only calls async-signal-safe functions until exec. */
    const char **argv = malloc((extra + 4) * sizeof *argv);
    if (!argv) return -1;
    argv[0] = bin;
    argv[1] = "--port";
    argv[2] = "0";
    for (size_t i = 0; i < extra; i++) argv[3 + i] = extra_args[i];
    argv[3 + extra] = NULL;
    int verbose = getenv("BOTSPLASH_TEST_VERBOSE") != NULL;

    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe for the mock's output");
        free(argv);
        return -1;
    }
    mock_pid = fork();
    if (mock_pid < 0) {
        perror("fork for the mock");
        close(fds[0]);
        close(fds[1]);
        free(argv);
        return -1;
    }
    if (mock_pid == 0) {
#ifdef __linux__
        /* Should this program crash, the mock must not outlive it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (!verbose) {
            int devnull = open("/dev/null", O_WRONLY);
            if (devnull >= 0 && devnull != STDERR_FILENO) {
                dup2(devnull, STDERR_FILENO);
                close(devnull);
            }
        }
        /* execv takes char *const[] for historical reasons; it does not write to them. */
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    free(argv);
    close(fds[1]);
    mock_stdout = fds[0]; /* kept open so a later write by the mock never gets SIGPIPE */
    char line[256];
    size_t n = 0;
    while (n + 1 < sizeof line) {
        ssize_t r = read(mock_stdout, line + n, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0 || line[n] == '\n') break;
        n++;
    }
    line[n] = '\0';
    const char *prefix = "listening on ";
    if (strncmp(line, prefix, strlen(prefix)) != 0) {
        fprintf(stderr, "unexpected first line from the mock: %s\n", line);
        stop_mock();
        return -1;
    }
    snprintf(mock_url, sizeof mock_url, "%s", line + strlen(prefix));
    const char *colon = strrchr(mock_url, ':');
    mock_port = colon ? atoi(colon + 1) : 0;
    if (mock_port <= 0) {
        fprintf(stderr, "no port in the mock's URL: %s\n", mock_url);
        stop_mock();
        return -1;
    }
    return 0;
}

/* One HTTP/1.1 request to the control API (Connection: close, so the body ends at EOF).
 * Returns the HTTP status, or -1 when there was no answer; *body_out (if given) receives the
 * response body, malloc'd and NUL-terminated, or NULL. */
static int control(const char *method, const char *path, const char *body, char **body_out) {
    if (body_out) *body_out = NULL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)mock_port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    size_t body_len = body ? strlen(body) : 0;
    char head[512];
    int head_len = snprintf(head, sizeof head,
                            "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                            "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                            method, path, body_len);
    if (head_len < 0 || (size_t)head_len >= sizeof head) {
        close(fd);
        return -1;
    }
    size_t total = (size_t)head_len + body_len;
    char *request = malloc(total);
    if (!request) {
        close(fd);
        return -1;
    }
    memcpy(request, head, (size_t)head_len);
    if (body_len) memcpy(request + head_len, body, body_len);
    /* MSG_NOSIGNAL: a mock that went away is a -1 here, not a SIGPIPE for the whole program. */
    for (size_t sent = 0; sent < total;) {
        ssize_t w = send(fd, request + sent, total - sent, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            free(request);
            close(fd);
            return -1;
        }
        sent += (size_t)w;
    }
    free(request);

    size_t cap = 16384, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return -1;
    }
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                close(fd);
                return -1;
            }
            buf = bigger;
        }
        ssize_t r = read(fd, buf + len, 4096);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    int status = -1;
    if (sscanf(buf, "HTTP/1.1 %d", &status) != 1) status = -1;
    char *start = strstr(buf, "\r\n\r\n");
    if (body_out && start) {
        *start = '\0'; /* ends the head, so the header search below cannot match the body */
        start += 4;
        if (strcasestr(buf, "\r\ntransfer-encoding: chunked")) {
            /* De-chunk in place; a chunk cut short ends the body where the whole ones end. */
            char *in = start, *out = start, *end = buf + len;
            for (;;) {
                char *after;
                unsigned long size = strtoul(in, &after, 16);
                char *data = strstr(after, "\r\n");
                if (!data || size == 0) break;
                data += 2;
                if (size > (size_t)(end - data)) break;
                memmove(out, data, size);
                out += size;
                in = data + size;
                if (strncmp(in, "\r\n", 2) != 0) break;
                in += 2;
            }
            *out = '\0';
        }
        *body_out = strdup(start);
    }
    free(buf);
    return status;
}

/* A loopback port on which nothing listens: one the kernel just handed out, closed again.
 * 0 when the kernel gave none (a URL with port 0 still cannot connect). */
static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in addr = {0};
    socklen_t addr_len = sizeof addr;
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int port = 0;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &addr_len) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

#endif /* BOTSPLASH_TESTS_MOCK_SERVER_H */
