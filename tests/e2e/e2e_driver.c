/* SPDX-License-Identifier: MIT */
/*
 * e2e_driver.c: the CTest executable of the end-to-end tests. Usage:
 *
 *     e2e_host SCENARIO OUT_DIR        run one scenario (e2e_scenarios.c)
 *     e2e_host --list                  print the scenario names
 *     e2e_host --role SCENARIO INDEX RD_FD WR_FD SOCKET OUT_DIR
 *                                      one role, exec'd by another driver
 *
 * Starts blesim (BLESIM_PATH) on a unix socket, waits for its "listening on"
 * line, forks one process per role (e2e_role.c), relays their lines (S:
 * broadcast, B: barrier, K: kill a role) until every role has exited, then
 * stops blesim and checks every capture with tshark. Any failure (a role
 * exiting non-zero, the scenario timeout) kills every process. Children get
 * PR_SET_PDEATHSIG so nothing outlives a killed driver.
 *
 * Mixed hosts: when the environment has E2E_EXEC_<role> (the role's name,
 * as in e2e_scenarios.c) naming another build of this program, that role's
 * child execs it with --role instead of running our own code. The e2e_p256
 * mixed tests pair a host taking P-256 from the controller (e2e_host_p256)
 * with one computing it with mbedTLS (e2e_host) this way.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

struct drv_role {
    pid_t pid;
    int to_fd;   /* driver -> role */
    int from_fd; /* role -> driver */
    bool exited;
    bool killed; /* by request: its end is expected */
    char line[4 * E2E_MSG_MAX];
    size_t line_len;
    char barrier[E2E_MSG_MAX]; /* barrier it waits at ("" none) */
};

static struct {
    const struct e2e_scenario *s;
    unsigned n;
    struct drv_role roles[E2E_MAX_ROLES];
    pid_t sim_pid;
    int sim_fd;
    char out_dir[512];
    char sock_path[108];
    char tmp_dir[64];
} drv;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void kill_all(void)
{
    for (unsigned i = 0; i < drv.n; i++) {
        if (drv.roles[i].pid > 0 && !drv.roles[i].exited) {
            kill(drv.roles[i].pid, SIGKILL);
            waitpid(drv.roles[i].pid, NULL, 0);
            drv.roles[i].exited = true;
        }
    }
    if (drv.sim_pid > 0) {
        kill(drv.sim_pid, SIGKILL);
        waitpid(drv.sim_pid, NULL, 0);
        drv.sim_pid = 0;
    }
}

static _Noreturn void drv_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void drv_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "[driver] FAIL %s: ", drv.s != NULL ? drv.s->name : "?");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    kill_all();
    if (drv.tmp_dir[0] != '\0') {
        unlink(drv.sock_path);
        rmdir(drv.tmp_dir);
    }
    exit(1);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return; /* the role is gone: its exit status tells */
        }
        p += w;
        n -= (size_t)w;
    }
}

/* ---- output directory --------------------------------------------------------- */

static void rm_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static void mkdir_p(const char *path)
{
    char p[600];

    snprintf(p, sizeof(p), "%s", path);
    for (char *s = p + 1; *s != '\0'; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    }
    if (mkdir(p, 0755) < 0 && errno != EEXIST) {
        drv_fail("mkdir %s: %s", p, strerror(errno));
    }
}

static void prepare_dirs(const char *out_dir)
{
    char sim[600];

    snprintf(drv.out_dir, sizeof(drv.out_dir), "%s", out_dir);
    mkdir_p(drv.out_dir);
    snprintf(sim, sizeof(sim), "%s/sim", drv.out_dir);
    mkdir(sim, 0755);
    rm_files(sim);
    rm_files(drv.out_dir);
    /* sun_path is short: the socket lives in its own directory under /tmp. */
    snprintf(drv.tmp_dir, sizeof(drv.tmp_dir), "/tmp/bhe2e.XXXXXX");
    if (mkdtemp(drv.tmp_dir) == NULL) {
        drv.tmp_dir[0] = '\0';
        drv_fail("mkdtemp: %s", strerror(errno));
    }
    snprintf(drv.sock_path, sizeof(drv.sock_path), "%s/sim.sock", drv.tmp_dir);
}

/* ---- blesim ------------------------------------------------------------------------ */

/* One line from blesim's stdout (blocking, bounded by poll). */
static bool sim_read_line(char *buf, size_t cap, int timeout_ms)
{
    size_t n = 0;

    while (n + 1 < cap) {
        struct pollfd pfd = {.fd = drv.sim_fd, .events = POLLIN};
        char ch;

        if (poll(&pfd, 1, timeout_ms) <= 0 || read(drv.sim_fd, &ch, 1) != 1) {
            return false;
        }
        if (ch == '\n') {
            break;
        }
        buf[n++] = ch;
    }
    buf[n] = '\0';
    return true;
}

static void start_blesim(void)
{
    char listen[160], snoop[600], line[256];
    int pfd[2];

    snprintf(listen, sizeof(listen), "unix:%s", drv.sock_path);
    snprintf(snoop, sizeof(snoop), "%s/sim", drv.out_dir);
    if (pipe(pfd) < 0) {
        drv_fail("pipe: %s", strerror(errno));
    }
    drv.sim_pid = fork();
    if (drv.sim_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pfd[1], STDOUT_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        if (drv.s->realtime) {
            execl(BLESIM_PATH, "blesim", "--listen", listen, "--btsnoop", snoop, (char *)NULL);
        } else {
            execl(BLESIM_PATH, "blesim", "--fast", "--listen", listen, "--btsnoop", snoop,
                  (char *)NULL);
        }
        _exit(127);
    }
    close(pfd[1]);
    drv.sim_fd = pfd[0];
    if (!sim_read_line(line, sizeof(line), 10000) || strstr(line, "listening on") == NULL) {
        drv_fail("blesim did not start listening");
    }
    fprintf(stderr, "[driver] %s\n", line);
}

static void drain_blesim(void)
{
    char buf[512];
    ssize_t n = read(drv.sim_fd, buf, sizeof(buf));

    if (n > 0) {
        (void)!write(STDERR_FILENO, buf, (size_t)n);
    }
}

/* ---- roles -------------------------------------------------------------------------- */

/* The child of role i runs another build of the driver (E2E_EXEC_<role>). */
static void exec_role(unsigned i, int rd_fd, int wr_fd)
{
    char var[64], idx[16], rd[16], wr[16];
    const char *exe;

    snprintf(var, sizeof(var), "E2E_EXEC_%s", drv.s->roles[i].name);
    exe = getenv(var);
    if (exe == NULL || exe[0] == '\0') {
        return;
    }
    snprintf(idx, sizeof(idx), "%u", i);
    snprintf(rd, sizeof(rd), "%d", rd_fd);
    snprintf(wr, sizeof(wr), "%d", wr_fd);
    execl(exe, exe, "--role", drv.s->name, idx, rd, wr, drv.sock_path, drv.out_dir, (char *)NULL);
    fprintf(stderr, "[driver] exec %s: %s\n", exe, strerror(errno));
    _exit(127);
}

static void start_role(unsigned i)
{
    int down[2], up[2];
    struct drv_role *r = &drv.roles[i];

    if (pipe(down) < 0 || pipe(up) < 0) {
        drv_fail("pipe: %s", strerror(errno));
    }
    fflush(NULL);
    r->pid = fork();
    if (r->pid < 0) {
        drv_fail("fork: %s", strerror(errno));
    }
    if (r->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(down[1]);
        close(up[0]);
        close(drv.sim_fd);
        for (unsigned j = 0; j < i; j++) {
            close(drv.roles[j].to_fd);
            close(drv.roles[j].from_fd);
        }
        exec_role(i, down[0], up[1]);
        e2e_role_main(drv.s, i, down[0], up[1], drv.sock_path, drv.out_dir);
    }
    close(down[0]);
    close(up[1]);
    r->to_fd = down[1];
    r->from_fd = up[0];
}

static bool role_live(const struct drv_role *r)
{
    return !r->exited && !r->killed;
}

/* Release a barrier once every live role waits at it. */
static void check_barrier(const char *name)
{
    char msg[E2E_MSG_MAX + 8];

    for (unsigned i = 0; i < drv.n; i++) {
        if (role_live(&drv.roles[i]) && strcmp(drv.roles[i].barrier, name) != 0) {
            return;
        }
    }
    snprintf(msg, sizeof(msg), "!bar %s\n", name);
    for (unsigned i = 0; i < drv.n; i++) {
        if (role_live(&drv.roles[i])) {
            drv.roles[i].barrier[0] = '\0';
            write_all(drv.roles[i].to_fd, msg, strlen(msg));
        }
    }
}

static void kill_role(const char *name)
{
    for (unsigned i = 0; i < drv.n; i++) {
        struct drv_role *r = &drv.roles[i];

        if (strcmp(drv.s->roles[i].name, name) == 0 && role_live(r)) {
            fprintf(stderr, "[driver] killing %s\n", name);
            r->killed = true;
            kill(r->pid, SIGKILL);
            return;
        }
    }
    drv_fail("no live role %s to kill", name);
}

static void handle_line(unsigned from, const char *role_line)
{
    char msg[E2E_MSG_MAX + 2];
    char line[E2E_MSG_MAX];
    size_t n = strnlen(role_line, sizeof(line) - 1);

    /* A copy: the role's line buffer and its barrier live in the same struct. */
    memcpy(line, role_line, n);
    line[n] = '\0';

    if (strncmp(line, "S ", 2) == 0) {
        snprintf(msg, sizeof(msg), "%s\n", line + 2);
        for (unsigned i = 0; i < drv.n; i++) {
            if (i != from && role_live(&drv.roles[i])) {
                write_all(drv.roles[i].to_fd, msg, strlen(msg));
            }
        }
    } else if (strncmp(line, "B ", 2) == 0) {
        snprintf(drv.roles[from].barrier, sizeof(drv.roles[from].barrier), "%s", line + 2);
        check_barrier(line + 2);
    } else if (strncmp(line, "K ", 2) == 0) {
        kill_role(line + 2);
        /* A barrier may now be complete without the killed role. */
        for (unsigned i = 0; i < drv.n; i++) {
            if (role_live(&drv.roles[i]) && drv.roles[i].barrier[0] != '\0') {
                check_barrier(drv.roles[i].barrier);
                break;
            }
        }
    } else {
        drv_fail("bad line from %s: %s", drv.s->roles[from].name, line);
    }
}

static void role_exited(unsigned i)
{
    struct drv_role *r = &drv.roles[i];
    int status = 0;

    close(r->from_fd);
    close(r->to_fd);
    r->from_fd = -1;
    waitpid(r->pid, &status, 0);
    r->exited = true;
    if (r->killed) {
        return;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        drv_fail("role %s ended with status 0x%x", drv.s->roles[i].name, status);
    }
}

static void role_readable(unsigned i)
{
    struct drv_role *r = &drv.roles[i];
    char buf[512];
    ssize_t n = read(r->from_fd, buf, sizeof(buf));

    if (n <= 0) {
        role_exited(i);
        return;
    }
    for (ssize_t k = 0; k < n; k++) {
        if (buf[k] != '\n') {
            if (r->line_len + 1 < sizeof(r->line)) {
                r->line[r->line_len++] = buf[k];
            }
            continue;
        }
        r->line[r->line_len] = '\0';
        r->line_len = 0;
        handle_line(i, r->line);
    }
}

static bool roles_running(void)
{
    for (unsigned i = 0; i < drv.n; i++) {
        if (!drv.roles[i].exited) {
            return true;
        }
    }
    return false;
}

static void relay(void)
{
    uint64_t deadline = now_ms() + drv.s->timeout_ms;

    while (roles_running()) {
        struct pollfd pfd[E2E_MAX_ROLES + 1];
        unsigned map[E2E_MAX_ROLES + 1], n = 0;
        uint64_t now = now_ms();

        if (now >= deadline) {
            drv_fail("scenario timeout (%u ms)", (unsigned)drv.s->timeout_ms);
        }
        for (unsigned i = 0; i < drv.n; i++) {
            if (drv.roles[i].from_fd >= 0 && !drv.roles[i].exited) {
                pfd[n] = (struct pollfd){.fd = drv.roles[i].from_fd, .events = POLLIN};
                map[n++] = i;
            }
        }
        pfd[n] = (struct pollfd){.fd = drv.sim_fd, .events = POLLIN};
        if (poll(pfd, n + 1, (int)(deadline - now)) < 0 && errno != EINTR) {
            drv_fail("poll: %s", strerror(errno));
        }
        for (unsigned k = 0; k < n; k++) {
            if (pfd[k].revents != 0) {
                role_readable(map[k]);
            }
        }
        if (pfd[n].revents != 0) {
            drain_blesim();
        }
    }
}

/* ---- captures ------------------------------------------------------------------------- */

/* tshark must read the file, find packets, and find nothing malformed. */
static void check_capture(const char *path)
{
    char cmd[1200], line[1024];
    unsigned frames = 0, malformed = 0;
    FILE *f;

    snprintf(cmd, sizeof(cmd), "tshark -r '%s' -V 2>&1", path);
    f = popen(cmd, "r");
    if (f == NULL) {
        drv_fail("popen tshark");
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "Frame ", 6) == 0) {
            frames++;
        }
        if (strcasestr(line, "malformed") != NULL) {
            malformed++;
            fprintf(stderr, "[driver] %s: %s", path, line);
        }
    }
    if (pclose(f) != 0) {
        drv_fail("tshark failed on %s", path);
    }
    fprintf(stderr, "[driver] %s: %u frames\n", path, frames);
    if (frames == 0 || malformed != 0) {
        drv_fail("capture %s: %u frames, %u malformed lines", path, frames, malformed);
    }
}

static void check_captures_in(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];

    if (d == NULL) {
        drv_fail("no capture directory %s", dir);
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);

        if (len > 8 && strcmp(e->d_name + len - 8, ".btsnoop") == 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            check_capture(path);
        }
    }
    closedir(d);
}

static void check_captures(void)
{
    char sim[600];

    if (system("command -v tshark >/dev/null 2>&1") != 0) {
        fprintf(stderr, "[driver] tshark not found: captures not checked\n");
        return;
    }
    check_captures_in(drv.out_dir);
    snprintf(sim, sizeof(sim), "%s/sim", drv.out_dir);
    check_captures_in(sim);
}

static void stop_blesim(void)
{
    int status = 0;

    kill(drv.sim_pid, SIGTERM);
    waitpid(drv.sim_pid, &status, 0);
    drv.sim_pid = 0;
    close(drv.sim_fd);
    unlink(drv.sock_path);
    rmdir(drv.tmp_dir);
    drv.tmp_dir[0] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        drv_fail("blesim ended with status 0x%x", status);
    }
}

/* ---- main --------------------------------------------------------------------------- */

static const struct e2e_scenario *find_scenario(const char *name)
{
    for (size_t i = 0; i < e2e_scenario_count; i++) {
        if (strcmp(e2e_scenarios[i].name, name) == 0) {
            return &e2e_scenarios[i];
        }
    }
    return NULL;
}

/* --role SCENARIO INDEX RD_FD WR_FD SOCKET OUT_DIR (see exec_role). */
static int role_main(char **argv)
{
    const struct e2e_scenario *s = find_scenario(argv[2]);
    char *end;
    unsigned long idx = strtoul(argv[3], &end, 10);
    int rd_fd = atoi(argv[4]), wr_fd = atoi(argv[5]);

    if (s == NULL || *end != '\0' || idx >= E2E_MAX_ROLES || s->roles[idx].fn == NULL ||
        rd_fd < 0 || wr_fd < 0) {
        fprintf(stderr, "e2e: bad --role arguments\n");
        return 2;
    }
    e2e_role_main(s, (unsigned)idx, rd_fd, wr_fd, argv[6], argv[7]);
}

int main(int argc, char **argv)
{
    if (argc == 8 && strcmp(argv[1], "--role") == 0) {
        return role_main(argv);
    }
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < e2e_scenario_count; i++) {
            printf("%s\n", e2e_scenarios[i].name);
        }
        return 0;
    }
    if (argc != 3 || (drv.s = find_scenario(argv[1])) == NULL) {
        fprintf(stderr, "usage: %s SCENARIO OUT_DIR | --list\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    prepare_dirs(argv[2]);
    start_blesim();
    for (drv.n = 0; drv.n < E2E_MAX_ROLES && drv.s->roles[drv.n].fn != NULL; drv.n++) {
        start_role(drv.n);
    }
    relay();
    stop_blesim();
    check_captures();
    fprintf(stderr, "[driver] %s: ok\n", drv.s->name);
    return 0;
}
