/* SPDX-License-Identifier: MIT */
/*
 * main.c: blesim's command line, listeners and lifecycle.
 *
 *   blesim [--listen unix:/path]... [--listen tcp:127.0.0.1:PORT]... [--pty N]
 *          [--fast] [--seed N] [--loss RATE] [--disconnect-after-ms N]
 *          [--disconnect-after-pdus N] [--disconnect-reason HEX]
 *          [--cmd-delay-ms N] [--btsnoop DIR] [--addr-base XX:XX:XX:XX:XX:XX]
 *          [--acl-len N] [--acl-num N] [--verbose]
 *
 * Every accepted connection (and every pty) is one controller. stdout gets
 * one line per listener, pty, attach and detach (line-buffered, for
 * scripts); diagnostics go to stderr. SIGINT/SIGTERM: exit 0, unix socket
 * files removed. See README.md.
 */
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <termios.h>
#include <unistd.h>

#define MAIN_MAX_LISTEN 8
#define MAIN_MAX_PTY 16

struct main_listener {
    struct sim_fd fdw;
    char path[108]; /* unix: the socket file to remove at exit */
};

struct main_ctx {
    struct main_listener listen[MAIN_MAX_LISTEN];
    int n_listen;
    int pty_slaves[MAIN_MAX_PTY];
    int n_pty;
};

static struct main_ctx main_ctx;

static void main_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void main_on_accept(struct sim_fd *f, short revents)
{
    int fd = accept(f->fd, NULL, NULL);
    int one = 1;

    if (fd < 0) {
        return;
    }
    main_nonblock(fd);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* fails harmlessly on unix */
    ctrl_attach(fd, false);
}

static int main_listen_unix(struct main_listener *ls, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "blesim: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    unlink(path); /* a stale socket from an earlier run */
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0) {
        fprintf(stderr, "blesim: cannot listen on unix:%s: %s\n", path, strerror(errno));
        return -1;
    }
    strcpy(ls->path, path);
    ls->fdw.fd = fd;
    printf("blesim: listening on unix:%s\n", path);
    return 0;
}

static int main_listen_tcp(struct main_listener *ls, const char *spec)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);
    char host[64];
    const char *colon = strrchr(spec, ':');
    int one = 1;
    int fd;

    if (colon == NULL || (size_t)(colon - spec) >= sizeof(host)) {
        fprintf(stderr, "blesim: bad tcp listen address: %s\n", spec);
        return -1;
    }
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "blesim: bad tcp listen address: %s\n", spec);
        return -1;
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        fprintf(stderr, "blesim: cannot listen on tcp:%s: %s\n", spec, strerror(errno));
        return -1;
    }
    ls->fdw.fd = fd;
    printf("blesim: listening on tcp:%s:%u\n", host, ntohs(sa.sin_port));
    return 0;
}

static int main_listen(const char *spec)
{
    struct main_listener *ls;
    int rc;

    if (main_ctx.n_listen >= MAIN_MAX_LISTEN) {
        fprintf(stderr, "blesim: too many listeners\n");
        return -1;
    }
    ls = &main_ctx.listen[main_ctx.n_listen];
    if (strncmp(spec, "unix:", 5) == 0) {
        rc = main_listen_unix(ls, spec + 5);
    } else if (strncmp(spec, "tcp:", 4) == 0) {
        rc = main_listen_tcp(ls, spec + 4);
    } else {
        fprintf(stderr, "blesim: unknown listen address %s (unix:PATH or tcp:HOST:PORT)\n", spec);
        return -1;
    }
    if (rc != 0) {
        return rc;
    }
    main_nonblock(ls->fdw.fd);
    ls->fdw.events = POLLIN;
    ls->fdw.on_ready = main_on_accept;
    sim_fd_add(&ls->fdw);
    main_ctx.n_listen++;
    return 0;
}

/* A pty is a controller from the start. We keep the slave open ourselves so
 * that a client closing it does not leave the master in a hang-up loop. */
static int main_pty(void)
{
    struct termios tio;
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    int s;

    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || main_ctx.n_pty >= MAIN_MAX_PTY) {
        fprintf(stderr, "blesim: cannot create a pty: %s\n", strerror(errno));
        return -1;
    }
    s = open(ptsname(m), O_RDWR | O_NOCTTY);
    if (s < 0) {
        fprintf(stderr, "blesim: cannot open %s: %s\n", ptsname(m), strerror(errno));
        return -1;
    }
    if (tcgetattr(s, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(s, TCSANOW, &tio);
    }
    main_ctx.pty_slaves[main_ctx.n_pty++] = s;
    printf("blesim: pty %s\n", ptsname(m));
    main_nonblock(m);
    ctrl_attach(m, true);
    return 0;
}

static int main_parse_addr(const char *s, uint8_t out[6])
{
    unsigned b[6];

    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) {
        return -1;
    }
    for (int i = 0; i < 6; i++) {
        out[5 - i] = (uint8_t)b[i];
    }
    return 0;
}

static void main_usage(void)
{
    fprintf(stderr,
            "usage: blesim [--listen unix:/path]... [--listen tcp:127.0.0.1:PORT]... [--pty N]\n"
            "              [--fast] [--seed N] [--loss RATE] [--disconnect-after-ms N]\n"
            "              [--disconnect-after-pdus N] [--disconnect-reason HEX]\n"
            "              [--cmd-delay-ms N] [--btsnoop DIR]\n"
            "              [--addr-base XX:XX:XX:XX:XX:XX] [--acl-len N] [--acl-num N]\n"
            "              [--verbose]\n");
}

/* Numeric option value within [min, max], or exit 2. */
static unsigned long main_num(const char *opt, const char *v, int base, unsigned long min,
                              unsigned long max)
{
    char *end = NULL;
    unsigned long n;

    errno = 0;
    n = v != NULL ? strtoul(v, &end, base) : 0;
    if (v == NULL || *v == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
        fprintf(stderr, "blesim: bad value for %s\n", opt);
        exit(2);
    }
    return n;
}

static int main_parse_option(const char *o, const char *v, int *ptys, int *used)
{
    *used = 1;
    if (strcmp(o, "--listen") == 0 && v != NULL) {
        return main_listen(v);
    } else if (strcmp(o, "--pty") == 0) {
        *ptys = (int)main_num(o, v, 10, 0, MAIN_MAX_PTY);
    } else if (strcmp(o, "--seed") == 0) {
        sim_opts.seed = main_num(o, v, 0, 0, ~0ul);
    } else if (strcmp(o, "--loss") == 0 && v != NULL) {
        char *end;
        sim_opts.loss = strtod(v, &end);
        if (*end != '\0' || !(sim_opts.loss >= 0.0 && sim_opts.loss < 1.0)) {
            fprintf(stderr, "blesim: --loss takes a rate in [0, 1)\n");
            return -1;
        }
    } else if (strcmp(o, "--disconnect-after-ms") == 0) {
        sim_opts.disc_after_ms = (uint32_t)main_num(o, v, 10, 1, 0xFFFFFFFFul);
    } else if (strcmp(o, "--disconnect-after-pdus") == 0) {
        sim_opts.disc_after_pdus = (uint32_t)main_num(o, v, 10, 1, 0xFFFFFFFFul);
    } else if (strcmp(o, "--disconnect-reason") == 0) {
        sim_opts.disc_reason = (uint8_t)main_num(o, v, 16, 1, 0xFF);
    } else if (strcmp(o, "--cmd-delay-ms") == 0) {
        sim_opts.cmd_delay_ms = (uint32_t)main_num(o, v, 10, 0, 60000);
    } else if (strcmp(o, "--btsnoop") == 0 && v != NULL) {
        sim_opts.btsnoop_dir = v;
    } else if (strcmp(o, "--addr-base") == 0 && v != NULL) {
        return main_parse_addr(v, sim_opts.addr_base);
    } else if (strcmp(o, "--acl-len") == 0) {
        sim_opts.acl_len = (uint16_t)main_num(o, v, 10, 27, 1021);
    } else if (strcmp(o, "--acl-num") == 0) {
        sim_opts.acl_num = (uint8_t)main_num(o, v, 10, 1, 255);
    } else {
        *used = 0;
        if (strcmp(o, "--fast") == 0) {
            sim_opts.fast = true;
        } else if (strcmp(o, "--verbose") == 0) {
            sim_opts.verbose = true;
        } else {
            return -1;
        }
    }
    return 0;
}

static void main_cleanup(void)
{
    ctrl_shutdown();
    for (int i = 0; i < main_ctx.n_listen; i++) {
        close(main_ctx.listen[i].fdw.fd);
        if (main_ctx.listen[i].path[0] != '\0') {
            unlink(main_ctx.listen[i].path);
        }
    }
    for (int i = 0; i < main_ctx.n_pty; i++) {
        close(main_ctx.pty_slaves[i]);
    }
}

int main(int argc, char **argv)
{
    int ptys = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    sim_loop_init();
    /* Options are parsed in two passes: settings first, then listeners, so
     * that --acl-len and friends apply whatever their position. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 1; i < argc; i++) {
            const char *v = i + 1 < argc ? argv[i + 1] : NULL;
            int used = 0;
            bool is_listen = strcmp(argv[i], "--listen") == 0;
            int rc = 0;
            if (is_listen == (pass == 1)) {
                rc = main_parse_option(argv[i], v, &ptys, &used);
            } else {
                used = (strcmp(argv[i], "--fast") != 0 && strcmp(argv[i], "--verbose") != 0);
            }
            if (rc != 0) {
                main_usage();
                main_cleanup();
                return 2;
            }
            i += used;
        }
    }
    sim_rand_seed(sim_opts.seed);
    for (int i = 0; i < ptys; i++) {
        if (main_pty() != 0) {
            main_cleanup();
            return 1;
        }
    }
    if (main_ctx.n_listen == 0 && ptys == 0) {
        main_usage();
        return 2;
    }
    sim_loop_run();
    main_cleanup();
    return 0;
}
