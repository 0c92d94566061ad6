/*
 * qemu_backend.c - the QEMU backend: qemu-system-riscv64 with
 * riscv-iommu-pci and edu DMA engines, driven through qtest
 * (see qemu_backend.h for what is observed and how).
 */
#define _GNU_SOURCE

#include "riommu/qemu_backend.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "riommu/riommu_bits.h"

/* ---- The virt machine and the devices (notes "The virt machine") ---------- */
#define QB_ECAM 0x30000000ull
#define QB_MMIO32_BASE 0x40000000ull
#define QB_MMIO32_END 0x80000000ull
#define QB_RAM_BASE 0x80000000ull
#define QB_PARK_SIZE 0x1000ull /* the wfi loop's page */

#define QB_VID_REDHAT 0x1b36u
#define QB_DID_RISCV_IOMMU 0x0014u
#define QB_VID_QEMU 0x1234u
#define QB_DID_EDU 0x11e8u

#define PCI_CMD 0x04u
#define PCI_STATUS 0x06u
#define PCI_HDR_TYPE 0x0eu
#define PCI_BAR0 0x10u
#define PCI_CAP_PTR 0x34u
#define PCI_CMD_MEM 0x2u
#define PCI_CMD_MASTER 0x4u
#define PCI_STATUS_CAPLIST 0x10u
#define PCI_CAP_ID_MSIX 0x11u
#define PCI_MSIX_ENABLE 0x8000u
#define PCI_MSIX_MASKALL 0x4000u

/* edu (hw/misc/edu.c) */
#define EDU_REG_SRC 0x80u
#define EDU_REG_DST 0x88u
#define EDU_REG_CNT 0x90u
#define EDU_REG_CMD 0x98u
#define EDU_CMD_RUN 0x1u
#define EDU_CMD_TO_RAM 0x2u
#define EDU_BUF_ADDR 0x40000ull
#define EDU_BUF_SIZE 4096u

#define QB_PAGE 0x1000ull
#define QB_MEM_CHUNK 4096u /* bytes per qtest read/write line */
#define QB_TERM_GRACE_MS 500

static const uint8_t qb_wfi_loop[8] = {0x73, 0x00, 0x50, 0x10,
                                       0x6f, 0xf0, 0xdf, 0xff};

typedef struct qb_edu {
    uint8_t devfn;
    uint64_t bar;
    uint8_t shadow[EDU_BUF_SIZE]; /* what the edu buffer holds ... */
    uint8_t known[EDU_BUF_SIZE];  /* ... where known (1) */
} qb_edu;

/* One line of QEMU's riscv_iommu_dma or riscv_iommu_flt trace. */
typedef struct qb_trace {
    bool flt;         /* riscv_iommu_flt (else riscv_iommu_dma) */
    uint32_t devid;
    uint64_t iova;    /* dma: the access's IOVA; flt: iotval */
    uint64_t phys;    /* dma: translated address, 0 on a fault */
    uint64_t hdr;     /* flt: the fault record header */
} qb_trace;

#define QB_MAX_TRACE 64u

typedef struct qb {
    pid_t pid;        /* -1 once reaped */
    int fd;           /* our end of the qtest socket pair; -1 when closed */
    bool dead;        /* timeout, EOF or protocol error: every op fails */
    char err[512];
    unsigned reply_ms;   /* configured per-reply timeout */
    unsigned timeout_ms; /* timeout of the command in flight (messages) */

    char *rbuf;       /* reply bytes received, rlen valid, rcons consumed */
    size_t rlen, rcap, rcons;
    char *wbuf;       /* the command line being sent */
    size_t wcap;
    char last_cmd[48];

    int tfd;          /* read end of QEMU's trace channel (-D /dev/fd/3) */
    int logfd;        /* trace lines are copied here (cfg.log_path), or -1 */
    char tline[512];  /* partial trace line */
    size_t tlen;
    qb_trace tr[QB_MAX_TRACE]; /* translations and faults since reset */
    unsigned ntr;
    bool tr_overflow;

    uint64_t ram_bytes;
    uint64_t cap;     /* capabilities register at creation */
    uint8_t iommu_devfn;
    uint64_t iommu_bar;
    unsigned n_edu;
    qb_edu edu[RIOMMU_QEMU_MAX_EDU];
    uint32_t dev_ids[RIOMMU_QEMU_MAX_EDU];
} qb;

/* ------------------------------------------------------------------------- */
/* Errors and time                                                            */
/* ------------------------------------------------------------------------- */

static int qb_fail(qb *q, bool fatal, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a reason (the first reason of a fatal failure sticks) and return
 * -1. A fatal failure marks the backend dead. */
static int qb_fail(qb *q, bool fatal, const char *fmt, ...)
{
    if (q->dead) {
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->err, sizeof q->err, fmt, ap);
    va_end(ap);
    if (fatal) {
        q->dead = true;
    }
    return -1;
}

static int64_t qb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void qb_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Describe how the child ended if it has (reaping it); "" if still
 * running. */
static void qb_child_status(qb *q, char *out, size_t outlen)
{
    out[0] = '\0';
    if (q->pid <= 0) {
        snprintf(out, outlen, " (QEMU already reaped)");
        return;
    }
    int st = 0;
    pid_t r = waitpid(q->pid, &st, WNOHANG);
    if (r == q->pid) {
        q->pid = -1;
        if (WIFEXITED(st)) {
            snprintf(out, outlen, " (QEMU exited with status %d)", WEXITSTATUS(st));
        } else if (WIFSIGNALED(st)) {
            snprintf(out, outlen, " (QEMU killed by signal %d)", WTERMSIG(st));
        }
    }
}

/* ------------------------------------------------------------------------- */
/* qtest line protocol                                                        */
/* ------------------------------------------------------------------------- */

/* ------------------------------------------------------------------------- */
/* QEMU's trace channel                                                       */
/* ------------------------------------------------------------------------- */

static void qb_trace_add(qb *q, const qb_trace *t)
{
    if (q->ntr < QB_MAX_TRACE) {
        q->tr[q->ntr++] = *t;
    } else {
        q->tr_overflow = true;
    }
}

/* Parse one trace line (and copy it to the log):
 *   riscv_iommu_dma 00:01.0: translate 0000:02.0 #0 RO 0x10000040 -> 0x80300040
 *   riscv_iommu_flt 00:01.0: fault 0000:02.0 reason: 0x100d0000000d iova: 0x20000000
 * (bus:slot.fn of the requester; "-> 0x0" when the translation failed). */
static void qb_trace_line(qb *q, char *l, size_t len)
{
    if (q->logfd >= 0) {
        l[len] = '\n';
        ssize_t w = write(q->logfd, l, len + 1);
        (void)w;
        l[len] = '\0';
    }
    const char *p;
    unsigned b, d, f, idx;
    qb_trace t;
    memset(&t, 0, sizeof t);
    if ((p = strstr(l, "riscv_iommu_dma ")) && (p = strstr(p, " translate "))) {
        char dir[16];
        if (sscanf(p, " translate %x:%x.%x #%u %15s 0x%" SCNx64 " -> 0x%" SCNx64, &b, &d, &f,
                   &idx, dir, &t.iova, &t.phys) == 7) {
            t.devid = b << 8 | d << 3 | f;
            qb_trace_add(q, &t);
        }
    } else if ((p = strstr(l, "riscv_iommu_flt ")) && (p = strstr(p, " fault "))) {
        if (sscanf(p, " fault %x:%x.%x reason: 0x%" SCNx64 " iova: 0x%" SCNx64, &b, &d, &f,
                   &t.hdr, &t.iova) == 5) {
            t.flt = true;
            t.devid = b << 8 | d << 3 | f;
            qb_trace_add(q, &t);
        }
    }
}

/* Read whatever QEMU has traced so far (never blocks). QEMU writes a trace
 * line before the access that caused it completes, so after an edu DMA
 * has finished its lines are all here. */
static void qb_trace_drain(qb *q)
{
    char buf[4096];
    while (q->tfd >= 0) {
        ssize_t n = read(q->tfd, buf, sizeof buf);
        if (n > 0) {
            for (ssize_t i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                    q->tline[q->tlen] = '\0';
                    qb_trace_line(q, q->tline, q->tlen);
                    q->tlen = 0;
                } else if (q->tlen + 2 < sizeof q->tline) {
                    q->tline[q->tlen++] = buf[i];
                }
            }
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n == 0) {
            close(q->tfd); /* QEMU is gone */
            q->tfd = -1;
        }
        return;
    }
}

static void qb_trace_reset(qb *q)
{
    qb_trace_drain(q);
    q->ntr = 0;
    q->tr_overflow = false;
}

static int qb_send(qb *q, size_t len, int64_t deadline)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(q->fd, q->wbuf + off, len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int64_t left = deadline - qb_now_ms();
            if (left <= 0) {
                return qb_fail(q, true, "QEMU stopped reading commands (timeout %u ms at '%s')",
                               q->timeout_ms, q->last_cmd);
            }
            struct pollfd p[2] = {{.fd = q->fd, .events = POLLOUT},
                                  {.fd = q->tfd, .events = POLLIN}};
            if (poll(p, 2, (int)left) < 0 && errno != EINTR) {
                return qb_fail(q, true, "poll: %s", strerror(errno));
            }
            if (p[1].revents) {
                qb_trace_drain(q);
            }
            continue;
        }
        char st[64];
        int e = errno;
        qb_child_status(q, st, sizeof st);
        return qb_fail(q, true, "cannot send '%s' to QEMU: %s%s", q->last_cmd,
                       strerror(e), st);
    }
    return 0;
}

/* Next reply line (NUL-terminated, valid until the next call), skipping
 * asynchronous "IRQ ..." lines. */
static int qb_line(qb *q, int64_t deadline, char **line)
{
    if (q->rcons) {
        memmove(q->rbuf, q->rbuf + q->rcons, q->rlen - q->rcons);
        q->rlen -= q->rcons;
        q->rcons = 0;
    }
    for (;;) {
        char *nl = memchr(q->rbuf, '\n', q->rlen);
        if (nl) {
            *nl = '\0';
            size_t used = (size_t)(nl - q->rbuf) + 1;
            if (nl > q->rbuf && nl[-1] == '\r') {
                nl[-1] = '\0';
            }
            if (strncmp(q->rbuf, "IRQ", 3) == 0) {
                memmove(q->rbuf, q->rbuf + used, q->rlen - used);
                q->rlen -= used;
                continue;
            }
            q->rcons = used;
            *line = q->rbuf;
            return 0;
        }
        if (q->rlen + 1 >= q->rcap) {
            if (q->rcap >= (1u << 20)) {
                return qb_fail(q, true, "QEMU reply line longer than 1 MiB");
            }
            char *nb = realloc(q->rbuf, q->rcap * 2);
            if (!nb) {
                return qb_fail(q, true, "out of memory");
            }
            q->rbuf = nb;
            q->rcap *= 2;
        }
        int64_t left = deadline - qb_now_ms();
        if (left <= 0) {
            return qb_fail(q, true, "no reply from QEMU within %u ms to '%s' (hung?)",
                           q->timeout_ms, q->last_cmd);
        }
        /* Drain the trace channel too: a full trace pipe would block QEMU. */
        struct pollfd p[2] = {{.fd = q->fd, .events = POLLIN},
                              {.fd = q->tfd, .events = POLLIN}};
        int pr = poll(p, 2, (int)left);
        if (pr < 0) {
            if (errno == EINTR) {
                continue;
            }
            return qb_fail(q, true, "poll: %s", strerror(errno));
        }
        if (p[1].revents) {
            qb_trace_drain(q);
        }
        if (!p[0].revents) {
            continue; /* the deadline check above reports a timeout */
        }
        ssize_t n = recv(q->fd, q->rbuf + q->rlen, q->rcap - 1 - q->rlen, 0);
        if (n > 0) {
            q->rlen += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
            continue;
        }
        char st[64];
        int e = n < 0 ? errno : 0;
        qb_child_status(q, st, sizeof st);
        return qb_fail(q, true, "QEMU closed the qtest channel%s%s during '%s'%s",
                       e ? ": " : "", e ? strerror(e) : "", q->last_cmd, st);
    }
}

/* Send the command in wbuf (len bytes, ending in '\n') and wait for its
 * reply. Returns 0 with *reply pointing after "OK" (" 0x..." or ""), -1 on
 * a failure. "FAIL"/"ERR" replies are errors but not fatal. */
static int qb_xfer_t(qb *q, size_t len, char **reply, unsigned timeout_ms)
{
    if (q->dead) {
        return -1;
    }
    size_t l = len > 0 ? len - 1 : 0;
    if (l >= sizeof q->last_cmd) {
        l = sizeof q->last_cmd - 4;
        memcpy(q->last_cmd, q->wbuf, l);
        memcpy(q->last_cmd + l, "...", 4);
    } else {
        memcpy(q->last_cmd, q->wbuf, l);
        q->last_cmd[l] = '\0';
    }
    q->timeout_ms = timeout_ms;
    int64_t deadline = qb_now_ms() + timeout_ms;
    if (qb_send(q, len, deadline)) {
        return -1;
    }
    char *line = NULL;
    if (qb_line(q, deadline, &line)) {
        return -1;
    }
    if (strncmp(line, "OK", 2) == 0 && (line[2] == '\0' || line[2] == ' ')) {
        *reply = line + 2;
        return 0;
    }
    if (strncmp(line, "FAIL", 4) == 0 || strncmp(line, "ERR", 3) == 0) {
        return qb_fail(q, false, "QEMU refused '%s': %.200s", q->last_cmd, line);
    }
    return qb_fail(q, true, "unexpected qtest reply to '%s': %.200s", q->last_cmd, line);
}

static int qb_xfer(qb *q, size_t len, char **reply)
{
    return qb_xfer_t(q, len, reply, q->reply_ms);
}

static int qb_fmt(qb *q, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int qb_fmt(qb *q, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(q->wbuf, q->wcap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= q->wcap) {
        return qb_fail(q, false, "qtest command too long");
    }
    *len = (size_t)n;
    return 0;
}

static int qb_parse_u64(qb *q, const char *s, uint64_t *v)
{
    char *end = NULL;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 16);
    if (errno || end == s) {
        return qb_fail(q, true, "bad value in qtest reply to '%s': %.60s", q->last_cmd, s);
    }
    *v = (uint64_t)x;
    return 0;
}

/* readb/readw/readl/readq: width 1, 2, 4 or 8 bytes. */
static int qb_rd(qb *q, unsigned width, uint64_t addr, uint64_t *v)
{
    const char c = width == 1 ? 'b' : width == 2 ? 'w' : width == 4 ? 'l' : 'q';
    size_t len;
    char *r;
    if (qb_fmt(q, &len, "read%c 0x%llx\n", c, (unsigned long long)addr) ||
        qb_xfer(q, len, &r)) {
        return -1;
    }
    return qb_parse_u64(q, r, v);
}

static int qb_wr(qb *q, unsigned width, uint64_t addr, uint64_t v)
{
    const char c = width == 1 ? 'b' : width == 2 ? 'w' : width == 4 ? 'l' : 'q';
    size_t len;
    char *r;
    if (qb_fmt(q, &len, "write%c 0x%llx 0x%llx\n", c, (unsigned long long)addr,
               (unsigned long long)v)) {
        return -1;
    }
    return qb_xfer(q, len, &r);
}

static int qb_hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Guest physical memory, any address (no range policy here). */
static int qb_memrd(qb *q, uint64_t pa, void *buf, size_t len)
{
    uint8_t *out = buf;
    while (len) {
        size_t n = len < QB_MEM_CHUNK ? len : QB_MEM_CHUNK;
        size_t l;
        char *r;
        if (qb_fmt(q, &l, "read 0x%llx 0x%zx\n", (unsigned long long)pa, n) ||
            qb_xfer(q, l, &r)) {
            return -1;
        }
        if (strncmp(r, " 0x", 3) != 0 || strlen(r + 3) < 2 * n) {
            return qb_fail(q, true, "short qtest read reply to '%s'", q->last_cmd);
        }
        const char *h = r + 3;
        for (size_t i = 0; i < n; i++) {
            int hi = qb_hexval(h[2 * i]), lo = qb_hexval(h[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                return qb_fail(q, true, "bad hex in qtest read reply to '%s'", q->last_cmd);
            }
            out[i] = (uint8_t)(hi << 4 | lo);
        }
        out += n;
        pa += n;
        len -= n;
    }
    return 0;
}

static int qb_memwr(qb *q, uint64_t pa, const void *buf, size_t len)
{
    static const char hx[] = "0123456789abcdef";
    const uint8_t *in = buf;
    while (len) {
        size_t n = len < QB_MEM_CHUNK ? len : QB_MEM_CHUNK;
        size_t l;
        if (qb_fmt(q, &l, "write 0x%llx 0x%zx 0x", (unsigned long long)pa, n)) {
            return -1;
        }
        if (l + 2 * n + 2 > q->wcap) {
            return qb_fail(q, false, "qtest command too long");
        }
        for (size_t i = 0; i < n; i++) {
            q->wbuf[l++] = hx[in[i] >> 4];
            q->wbuf[l++] = hx[in[i] & 15];
        }
        q->wbuf[l++] = '\n';
        char *r;
        if (qb_xfer(q, l, &r)) {
            return -1;
        }
        in += n;
        pa += n;
        len -= n;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* PCI configuration through ECAM                                             */
/* ------------------------------------------------------------------------- */

static uint64_t qb_ecam(uint8_t devfn, unsigned reg)
{
    return QB_ECAM + ((uint64_t)devfn << 12) + reg;
}

static int qb_cfg_rd(qb *q, uint8_t devfn, unsigned reg, unsigned w, uint32_t *v)
{
    uint64_t x = 0;
    if (qb_rd(q, w, qb_ecam(devfn, reg), &x)) {
        return -1;
    }
    *v = (uint32_t)x;
    return 0;
}

static int qb_cfg_wr(qb *q, uint8_t devfn, unsigned reg, unsigned w, uint32_t v)
{
    return qb_wr(q, w, qb_ecam(devfn, reg), v);
}

/* Size BAR0 of `devfn` (memory BAR, 32- or 64-bit), place it at the next
 * suitably aligned address of the 32-bit window and program it. */
static int qb_assign_bar0(qb *q, uint8_t devfn, uint64_t *next, uint64_t *base_out)
{
    uint32_t orig, lo, hi = 0xffffffffu;
    if (qb_cfg_rd(q, devfn, PCI_BAR0, 4, &orig)) {
        return -1;
    }
    if (orig & 1u) {
        return qb_fail(q, false, "device %02x.%u: BAR0 is an I/O BAR", devfn >> 3, devfn & 7);
    }
    bool is64 = (orig & 6u) == 4u;
    if (qb_cfg_wr(q, devfn, PCI_BAR0, 4, 0xffffffffu) ||
        qb_cfg_rd(q, devfn, PCI_BAR0, 4, &lo)) {
        return -1;
    }
    if (is64 && (qb_cfg_wr(q, devfn, PCI_BAR0 + 4, 4, 0xffffffffu) ||
                 qb_cfg_rd(q, devfn, PCI_BAR0 + 4, 4, &hi))) {
        return -1;
    }
    uint64_t mask = ((uint64_t)hi << 32) | (lo & ~0xfu);
    uint64_t size = ~mask + 1;
    if (size == 0 || (size & (size - 1)) || size > (QB_MMIO32_END - QB_MMIO32_BASE)) {
        return qb_fail(q, false, "device %02x.%u: unexpected BAR0 size mask 0x%llx",
                       devfn >> 3, devfn & 7, (unsigned long long)mask);
    }
    uint64_t base = (*next + size - 1) & ~(size - 1);
    if (base + size > QB_MMIO32_END) {
        return qb_fail(q, false, "PCI 32-bit MMIO window exhausted");
    }
    if (qb_cfg_wr(q, devfn, PCI_BAR0, 4, (uint32_t)base) ||
        (is64 && qb_cfg_wr(q, devfn, PCI_BAR0 + 4, 4, 0))) {
        return -1;
    }
    *next = base + size;
    *base_out = base;
    return 0;
}

/* Find a capability by ID; *off = 0 if absent. */
static int qb_find_cap(qb *q, uint8_t devfn, unsigned id, unsigned *off)
{
    uint32_t st, p;
    *off = 0;
    if (qb_cfg_rd(q, devfn, PCI_STATUS, 2, &st)) {
        return -1;
    }
    if (!(st & PCI_STATUS_CAPLIST)) {
        return 0;
    }
    if (qb_cfg_rd(q, devfn, PCI_CAP_PTR, 1, &p)) {
        return -1;
    }
    for (int guard = 0; guard < 48 && p >= 0x40; guard++) {
        uint32_t cid, next;
        p &= ~3u;
        if (qb_cfg_rd(q, devfn, p, 1, &cid) || qb_cfg_rd(q, devfn, p + 1, 1, &next)) {
            return -1;
        }
        if (cid == id) {
            *off = p;
            return 0;
        }
        p = next;
    }
    return 0;
}

static int qb_pci_setup(qb *q, unsigned want_edu)
{
    bool have_iommu = false;
    uint64_t next = QB_MMIO32_BASE;
    q->n_edu = 0;
    for (unsigned slot = 0; slot < 32; slot++) {
        unsigned nfn = 1;
        for (unsigned fn = 0; fn < nfn; fn++) {
            uint8_t devfn = (uint8_t)(slot << 3 | fn);
            uint32_t id;
            if (qb_cfg_rd(q, devfn, 0, 4, &id)) {
                return -1;
            }
            if ((id & 0xffffu) == 0xffffu) {
                continue;
            }
            if (fn == 0) {
                uint32_t ht;
                if (qb_cfg_rd(q, devfn, PCI_HDR_TYPE, 1, &ht)) {
                    return -1;
                }
                if (ht & 0x80u) {
                    nfn = 8;
                }
            }
            uint32_t vid = id & 0xffffu, did = id >> 16;
            if (vid == QB_VID_REDHAT && did == QB_DID_RISCV_IOMMU && !have_iommu) {
                if (qb_assign_bar0(q, devfn, &next, &q->iommu_bar) ||
                    qb_cfg_wr(q, devfn, PCI_CMD, 2, PCI_CMD_MEM | PCI_CMD_MASTER)) {
                    return -1;
                }
                unsigned msix;
                uint32_t ctl, tbl;
                if (qb_find_cap(q, devfn, PCI_CAP_ID_MSIX, &msix)) {
                    return -1;
                }
                if (!msix) {
                    return qb_fail(q, false, "riscv-iommu-pci has no MSI-X capability");
                }
                if (qb_cfg_rd(q, devfn, msix + 4, 4, &tbl)) {
                    return -1;
                }
                if ((tbl & 7u) != 0 || (tbl & ~7u) != RIOMMU_REG_MSI_CFG_TBL) {
                    return qb_fail(q, false,
                                   "riscv-iommu-pci MSI-X table is not BAR0+0x300 "
                                   "(table register 0x%x)", tbl);
                }
                if (qb_cfg_rd(q, devfn, msix + 2, 2, &ctl) ||
                    qb_cfg_wr(q, devfn, msix + 2, 2,
                              (ctl | PCI_MSIX_ENABLE) & ~PCI_MSIX_MASKALL)) {
                    return -1;
                }
                q->iommu_devfn = devfn;
                have_iommu = true;
            } else if (vid == QB_VID_QEMU && did == QB_DID_EDU &&
                       q->n_edu < RIOMMU_QEMU_MAX_EDU) {
                qb_edu *e = &q->edu[q->n_edu];
                if (qb_assign_bar0(q, devfn, &next, &e->bar) ||
                    qb_cfg_wr(q, devfn, PCI_CMD, 2, PCI_CMD_MEM | PCI_CMD_MASTER)) {
                    return -1;
                }
                e->devfn = devfn;
                /* QOM zero-fills device state: the buffer starts as zeros. */
                memset(e->shadow, 0, sizeof e->shadow);
                memset(e->known, 1, sizeof e->known);
                q->dev_ids[q->n_edu] = devfn; /* bus 0 */
                q->n_edu++;
            }
        }
    }
    if (!have_iommu) {
        return qb_fail(q, false, "no riscv-iommu-pci (1b36:0014) on bus 0");
    }
    if (q->n_edu != want_edu) {
        return qb_fail(q, false, "found %u edu devices on bus 0, expected %u", q->n_edu,
                       want_edu);
    }
    uint64_t cap;
    if (qb_rd(q, 8, q->iommu_bar + RIOMMU_REG_CAPABILITIES, &cap)) {
        return -1;
    }
    q->cap = cap;
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Backend ops: registers and memory                                          */
/* ------------------------------------------------------------------------- */

static int qb_mmio_check(qb *q, uint32_t off, unsigned size)
{
    if ((size != 4 && size != 8) || (off & (size - 1)) ||
        (uint64_t)off + size > RIOMMU_REG_WINDOW_SIZE) {
        return qb_fail(q, false, "bad register access: offset 0x%x size %u", off, size);
    }
    return 0;
}

static int qb_op_mmio_read(void *ctx, uint32_t off, unsigned size, uint64_t *val)
{
    qb *q = ctx;
    *val = 0;
    if (q->dead) {
        return -1;
    }
    if (qb_mmio_check(q, off, size)) {
        return -1;
    }
    return qb_rd(q, size, q->iommu_bar + off, val);
}

static int qb_op_mmio_write(void *ctx, uint32_t off, unsigned size, uint64_t val)
{
    qb *q = ctx;
    if (q->dead) {
        return -1;
    }
    if (qb_mmio_check(q, off, size)) {
        return -1;
    }
    if (size == 4) {
        val &= 0xffffffffu;
    }
    return qb_wr(q, size, q->iommu_bar + off, val);
}

static bool qb_in_ram(const qb *q, uint64_t pa, size_t len)
{
    uint64_t end = QB_RAM_BASE + q->ram_bytes;
    return pa >= QB_RAM_BASE && pa < end && len <= end - pa;
}

static int qb_op_mem_write(void *ctx, uint64_t pa, const void *buf, size_t len)
{
    qb *q = ctx;
    if (q->dead) {
        return -1;
    }
    if (!len) {
        return 0;
    }
    if (!qb_in_ram(q, pa, len)) {
        return qb_fail(q, false, "mem_write 0x%llx+0x%zx is outside guest RAM "
                       "0x80000000+0x%llx", (unsigned long long)pa, len,
                       (unsigned long long)q->ram_bytes);
    }
    if (pa < QB_RAM_BASE + QB_PARK_SIZE) {
        return qb_fail(q, false, "mem_write 0x%llx+0x%zx touches 0x80000000-0x80000fff, "
                       "reserved for the parked hart's loop", (unsigned long long)pa, len);
    }
    return qb_memwr(q, pa, buf, len);
}

static int qb_op_mem_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
    qb *q = ctx;
    if (q->dead) {
        return -1;
    }
    if (!len) {
        return 0;
    }
    if (!qb_in_ram(q, pa, len)) {
        return qb_fail(q, false, "mem_read 0x%llx+0x%zx is outside guest RAM",
                       (unsigned long long)pa, len);
    }
    return qb_memrd(q, pa, buf, len);
}

/* ------------------------------------------------------------------------- */
/* Device DMA through an edu                                                  */
/* ------------------------------------------------------------------------- */

static uint64_t qb_le64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = v << 8 | b[i];
    }
    return v;
}

static int qb_reg_rd(qb *q, uint32_t off, unsigned size, uint64_t *v)
{
    return qb_rd(q, size, q->iommu_bar + off, v);
}

static int qb_reg_wr(qb *q, uint32_t off, unsigned size, uint64_t v)
{
    return qb_wr(q, size, q->iommu_bar + off, v);
}

/* Run one edu DMA and wait (bounded) for the run bit to clear. */
static int qb_edu_run(qb *q, const qb_edu *e, uint64_t src, uint64_t dst, uint32_t cnt,
                      bool to_ram)
{
    if (qb_wr(q, 8, e->bar + EDU_REG_SRC, src) || qb_wr(q, 8, e->bar + EDU_REG_DST, dst) ||
        qb_wr(q, 8, e->bar + EDU_REG_CNT, cnt) ||
        qb_wr(q, 8, e->bar + EDU_REG_CMD, EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0))) {
        return -1;
    }
    int64_t deadline = qb_now_ms() + q->reply_ms;
    for (unsigned polls = 0; polls < 1000000u; polls++) {
        uint64_t cmd;
        if (qb_rd(q, 8, e->bar + EDU_REG_CMD, &cmd)) {
            return -1;
        }
        if (!(cmd & EDU_CMD_RUN)) {
            return 0;
        }
        if (qb_now_ms() > deadline) {
            break;
        }
    }
    return qb_fail(q, true, "edu %02x.0 DMA did not complete within %u ms "
                   "(is the hart parked with -icount sleep=off?)", e->devfn >> 3, q->reply_ms);
}

typedef struct qb_fqsnap {
    uint32_t csr, t;
} qb_fqsnap;

static int qb_fq_snap(qb *q, qb_fqsnap *s)
{
    uint64_t csr, t;
    if (qb_reg_rd(q, RIOMMU_REG_FQCSR, 4, &csr) || qb_reg_rd(q, RIOMMU_REG_FQT, 4, &t)) {
        return -1;
    }
    s->csr = (uint32_t)csr;
    s->t = (uint32_t)t;
    return 0;
}

/* Did the access since `before` fault? On a new record: *faulted, cause
 * and recorded from the first new record. On fqof/fqmf becoming set:
 * *faulted, *need_cause (the record was lost). */
static int qb_fq_check(qb *q, const qb_fqsnap *before, uint32_t devid, riommu_response *rsp,
                       bool *faulted, bool *need_cause)
{
    qb_fqsnap after;
    *faulted = false;
    *need_cause = false;
    if (qb_fq_snap(q, &after)) {
        return -1;
    }
    if (after.t != before->t) {
        uint64_t fqb;
        uint8_t rec[RIOMMU_FQ_REC_SIZE];
        if (qb_reg_rd(q, RIOMMU_REG_FQB, 8, &fqb)) {
            return -1;
        }
        uint64_t base = RIOMMU_FIELD_GET(fqb, RIOMMU_QB_PPN) << 12;
        uint64_t entries = 2ull << RIOMMU_FIELD_GET(fqb, RIOMMU_QB_LOG2SZ);
        uint64_t idx = before->t & (entries - 1);
        if (qb_memrd(q, base + idx * RIOMMU_FQ_REC_SIZE, rec, sizeof rec)) {
            return -1;
        }
        uint64_t hdr = qb_le64(rec);
        uint32_t did = (uint32_t)RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_DID);
        if (did != devid) {
            return qb_fail(q, false, "fault record for device 0x%x appeared during a DMA "
                           "of device 0x%x", did, devid);
        }
        rsp->status = RIOMMU_RSP_FAULT;
        rsp->cause = (uint16_t)RIOMMU_FIELD_GET(hdr, RIOMMU_FQ_HDR_CAUSE);
        rsp->recorded = true;
        *faulted = true;
        return 0;
    }
    uint32_t lost = RIOMMU_FQCSR_FQOF | RIOMMU_FQCSR_FQMF;
    if ((after.csr & lost) & ~(before->csr & lost)) {
        rsp->status = RIOMMU_RSP_FAULT;
        rsp->recorded = false;
        *faulted = true;
        *need_cause = true;
    }
    return 0;
}

/*
 * Cause of a fault QEMU did not record (DC.tc.DTF), from its debug
 * interface: translate `iova` for `devid` (read, or read+write). QEMU places
 * the cause at tr_response bits 10+ (an implementation choice; for
 * device-context faults it always answers 256). *fault false if the debug
 * translation succeeded. The debug request is made only after the device's
 * access has faulted without a record, so it cannot add a record either.
 */
static int qb_dbg_cause(qb *q, uint32_t devid, uint64_t iova, bool write, bool *fault,
                        uint16_t *cause)
{
    uint64_t ctl = RIOMMU_TR_REQ_CTL_GO_BUSY | (write ? 0 : RIOMMU_TR_REQ_CTL_NW) |
                   RIOMMU_FIELD_PREP(RIOMMU_TR_REQ_CTL_DID, devid);
    uint64_t v = 0;
    if (qb_reg_wr(q, RIOMMU_REG_TR_REQ_IOVA, 8, iova & ~(QB_PAGE - 1)) ||
        qb_reg_wr(q, RIOMMU_REG_TR_REQ_CTL, 8, ctl)) {
        return -1;
    }
    for (int polls = 0;; polls++) {
        if (qb_reg_rd(q, RIOMMU_REG_TR_REQ_CTL, 8, &v)) {
            return -1;
        }
        if (!(v & RIOMMU_TR_REQ_CTL_GO_BUSY)) {
            break;
        }
        if (polls > 1000) {
            return qb_fail(q, false, "tr_req_ctl.Go/Busy stuck");
        }
    }
    if (qb_reg_rd(q, RIOMMU_REG_TR_RESPONSE, 8, &v)) {
        return -1;
    }
    *fault = v & RIOMMU_TR_RESPONSE_FAULT;
    *cause = *fault ? (uint16_t)((v >> 10) & 0xfffu) : 0;
    return 0;
}

/* True when a write to `pa` by `devid` would be an MSI (virtual interrupt
 * file) write: DC.msiptp.MODE = Flat and pa matches the MSI pattern. For a
 * trapped MSI write QEMU traces the GPA itself as the translated address.
 * Reads the device context from RAM (no side effects). */
static int qb_msi_window(qb *q, uint32_t devid, uint64_t pa, bool *hit)
{
    *hit = false;
    if (!(q->cap & RIOMMU_CAP_MSI_FLAT)) {
        return 0; /* base-format DCs: no MSI translation */
    }
    uint64_t ddtp;
    if (qb_reg_rd(q, RIOMMU_REG_DDTP, 8, &ddtp)) {
        return -1;
    }
    unsigned mode = (unsigned)RIOMMU_FIELD_GET(ddtp, RIOMMU_DDTP_MODE);
    if (mode < RIOMMU_DDTP_MODE_1LVL || mode > RIOMMU_DDTP_MODE_3LVL) {
        return 0;
    }
    unsigned idx[3] = {devid & 0x3fu, (devid >> 6) & 0x1ffu, (devid >> 15) & 0x1ffu};
    uint64_t addr = RIOMMU_FIELD_GET(ddtp, RIOMMU_DDTP_PPN) << 12;
    for (int lvl = (int)(mode - RIOMMU_DDTP_MODE_1LVL); lvl >= 1; lvl--) {
        uint8_t de[8];
        if (!qb_in_ram(q, addr + idx[lvl] * 8u, 8)) {
            return 0;
        }
        if (qb_memrd(q, addr + idx[lvl] * 8u, de, 8)) {
            return -1;
        }
        uint64_t d = qb_le64(de);
        if (!(d & RIOMMU_DDTE_V)) {
            return 0;
        }
        addr = RIOMMU_FIELD_GET(d, RIOMMU_DDTE_PPN) << 12;
    }
    addr += (uint64_t)idx[0] * RIOMMU_DC_EXT_SIZE;
    uint8_t dc[RIOMMU_DC_EXT_SIZE];
    if (!qb_in_ram(q, addr, sizeof dc)) {
        return 0;
    }
    if (qb_memrd(q, addr, dc, sizeof dc)) {
        return -1;
    }
    uint64_t tc = qb_le64(dc), msiptp = qb_le64(dc + 32);
    uint64_t mask = qb_le64(dc + 40) & RIOMMU_MSI_ADDR_MASK_FIELD;
    uint64_t pat = qb_le64(dc + 48) & RIOMMU_MSI_ADDR_MASK_FIELD;
    if (!(tc & RIOMMU_DC_TC_V) ||
        RIOMMU_FIELD_GET(msiptp, RIOMMU_MSIPTP_MODE) != RIOMMU_MSIPTP_MODE_FLAT) {
        return 0;
    }
    *hit = (((pa >> 12) & ~mask) & RIOMMU_MSI_ADDR_MASK_FIELD) == (pat & ~mask);
    return 0;
}

/* Run an edu DMA of `cnt` bytes between IOVA `a` and the edu buffer at
 * `off`, collecting QEMU's trace and fault-queue state around it. */
static int qb_edu_xfer(qb *q, const qb_edu *e, uint64_t a, uint32_t off, uint32_t cnt,
                       bool write, qb_fqsnap *before)
{
    const uint64_t bufaddr = EDU_BUF_ADDR + off;
    qb_trace_reset(q);
    if (qb_fq_snap(q, before) ||
        qb_edu_run(q, e, write ? bufaddr : a, write ? a : bufaddr, cnt, write)) {
        return -1;
    }
    qb_trace_drain(q);
    if (q->tr_overflow) {
        return qb_fail(q, false, "more than %u QEMU trace lines for one DMA", QB_MAX_TRACE);
    }
    return 0;
}

/* The first riscv_iommu_dma trace line of `devid` (NULL if none). */
static const qb_trace *qb_first_xlate(const qb *q, uint32_t devid)
{
    for (unsigned i = 0; i < q->ntr; i++) {
        if (!q->tr[i].flt && q->tr[i].devid == devid) {
            return &q->tr[i];
        }
    }
    return NULL;
}

static const qb_trace *qb_first_flt(const qb *q, uint32_t devid)
{
    for (unsigned i = 0; i < q->ntr; i++) {
        if (q->tr[i].flt && q->tr[i].devid == devid) {
            return &q->tr[i];
        }
    }
    return NULL;
}

/* One page's part of a request: IOVA a, n bytes, at buffer offset off.
 * Sets *faulted (rsp filled) when the request must stop here; *pa_out is
 * the address of a's byte on success. */
static int qb_dma_page(qb *q, qb_edu *e, uint32_t devid, uint64_t a, uint32_t off,
                       uint32_t n, bool write, uint8_t *buf, riommu_response *rsp,
                       bool *faulted, uint64_t *pa_out)
{
    /* QEMU splits a faulting access into pieces of at most 4 bytes, aligned
     * and a power of two, and records a fault for each; the probe is the
     * first such piece, so a faulting page gives exactly one record. */
    uint32_t probe = n < 4 ? n : 4;
    if (a & 1) {
        probe = 1;
    } else if ((a & 2) && probe > 2) {
        probe = 2;
    }
    if (probe == 3) {
        probe = 2;
    }
    qb_fqsnap s0;
    bool need_cause = false;
    *faulted = false;

    if (qb_edu_xfer(q, e, a, off, probe, write, &s0) ||
        qb_fq_check(q, &s0, devid, rsp, faulted, &need_cause)) {
        return -1;
    }
    const qb_trace *x = qb_first_xlate(q, devid);
    if (!x) {
        return qb_fail(q, false, "QEMU traced no translation for the DMA of device 0x%x at "
                       "IOVA 0x%llx (is the riscv_iommu_dma trace event available?)",
                       devid, (unsigned long long)a);
    }
    if (*faulted || x->phys == 0) {
        rsp->status = RIOMMU_RSP_FAULT;
        if (!*faulted || need_cause) {
            /* No record: lost (queue off, full or in error: QEMU traces the
             * fault) or suppressed (DC.tc.DTF: only the debug interface
             * tells the cause). */
            const qb_trace *f = qb_first_flt(q, devid);
            if (f) {
                rsp->cause = (uint16_t)RIOMMU_FIELD_GET(f->hdr, RIOMMU_FQ_HDR_CAUSE);
            } else {
                bool dfault = false;
                uint16_t dcause = 0;
                qb_fqsnap s1, s2;
                if (qb_fq_snap(q, &s1) || qb_dbg_cause(q, devid, a, write, &dfault, &dcause) ||
                    qb_fq_snap(q, &s2)) {
                    return -1;
                }
                if (s2.t != s1.t) {
                    return qb_fail(q, false, "QEMU's debug translation of 0x%llx recorded a "
                                   "fault that the device's access did not",
                                   (unsigned long long)a);
                }
                rsp->cause = dfault ? dcause : 0;
            }
            rsp->recorded = false;
        }
        *faulted = true;
        if (!write) {
            memset(e->known + off, 0, n); /* partly filled: unknown */
        }
        return 0;
    }
    /* IOTLB hits trace the page base, walks the byte's address. */
    const uint64_t pa = (x->phys & ~(QB_PAGE - 1)) | (a & (QB_PAGE - 1));
    *pa_out = pa;
    if (write) {
        bool msi;
        if (qb_msi_window(q, devid, pa, &msi)) {
            return -1;
        }
        if (msi) {
            return qb_fail(q, false, "device write to 0x%llx is an MSI (virtual interrupt "
                           "file) write: QEMU's edu DMA carries no requester ID and "
                           "QEMU's IOMMU drops it; not supported by the QEMU backend",
                           (unsigned long long)a);
        }
    }
    if (!qb_in_ram(q, pa, n) || pa < QB_RAM_BASE + QB_PARK_SIZE) {
        if (write && pa < QB_RAM_BASE + QB_PARK_SIZE && pa + n > QB_RAM_BASE) {
            (void)qb_memwr(q, QB_RAM_BASE, qb_wfi_loop, sizeof qb_wfi_loop);
        }
        return qb_fail(q, false, "DMA of device 0x%x at IOVA 0x%llx translates to 0x%llx, "
                       "outside the backend's RAM (0x80001000-0x%llx): data not observable",
                       devid, (unsigned long long)a, (unsigned long long)pa,
                       (unsigned long long)(QB_RAM_BASE + q->ram_bytes - 1));
    }
    if (n > probe) {
        qb_fqsnap s3;
        if (qb_edu_xfer(q, e, a, off, n, write, &s3) ||
            qb_fq_check(q, &s3, devid, rsp, faulted, &need_cause)) {
            return -1;
        }
        unsigned lines = 0;
        for (unsigned i = 0; i < q->ntr; i++) {
            const qb_trace *t = &q->tr[i];
            if (t->flt || t->devid != devid) {
                continue;
            }
            lines++;
            if ((t->phys & ~(QB_PAGE - 1)) != (pa & ~(QB_PAGE - 1))) {
                return qb_fail(q, false, "IOVA 0x%llx translated to 0x%llx for the probe and "
                               "to 0x%llx for the rest of the page", (unsigned long long)a,
                               (unsigned long long)pa, (unsigned long long)t->phys);
            }
        }
        if (*faulted) {
            if (!write) {
                memset(e->known + off, 0, n);
            }
            return 0; /* translated for the probe, faulted after: as seen */
        }
        if (lines > 1) {
            /* QEMU's memory core retried the access in pieces: it refused
             * the translation's permissions without a fault. */
            return qb_fail(q, false, "QEMU translated %s of IOVA 0x%llx to 0x%llx but refused "
                           "the access without recording a fault (its IOTLB entry lacks the "
                           "permission): the device's data was dropped",
                           write ? "a write" : "a read", (unsigned long long)a,
                           (unsigned long long)pa);
        }
    }
    if (!write) {
        if (qb_memrd(q, pa, buf + off, n)) {
            return -1;
        }
        memcpy(e->shadow + off, buf + off, n);
        memset(e->known + off, 1, n);
        return 0;
    }
    uint8_t landed[EDU_BUF_SIZE];
    if (qb_memrd(q, pa, landed, n)) {
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (e->known[off + i] && landed[i] != e->shadow[off + i]) {
            return qb_fail(q, false, "QEMU translated a write of IOVA 0x%llx to 0x%llx but the "
                           "edu's bytes are not there (byte %u is 0x%02x, the edu buffer holds "
                           "0x%02x): the write was dropped or went elsewhere",
                           (unsigned long long)a, (unsigned long long)pa, i, landed[i],
                           e->shadow[off + i]);
        }
    }
    return qb_memwr(q, pa, buf + off, n);
}

static int qb_op_dma(void *ctx, const riommu_request *req, void *buf, riommu_response *rsp)
{
    qb *q = ctx;
    memset(rsp, 0, sizeof *rsp);
    if (q->dead) {
        return -1;
    }
    if (req->device_id >> 24 || req->len == 0 || (req->pv && req->process_id >> 20)) {
        rsp->status = RIOMMU_RSP_BAD_REQUEST;
        return 0;
    }
    if (req->kind != RIOMMU_REQ_UNTRANSLATED || req->pv || req->priv ||
        (req->access != RIOMMU_READ && req->access != RIOMMU_WRITE)) {
        return qb_fail(q, false, "the QEMU backend issues only untranslated reads and writes "
                       "without process_id or privilege");
    }
    if (req->len > EDU_BUF_SIZE || req->iova + (req->len - 1) < req->iova) {
        return qb_fail(q, false, "DMA of %u bytes at 0x%llx: at most %u bytes, no wrap",
                       req->len, (unsigned long long)req->iova, EDU_BUF_SIZE);
    }
    qb_edu *e = NULL;
    for (unsigned i = 0; i < q->n_edu; i++) {
        if (q->dev_ids[i] == req->device_id) {
            e = &q->edu[i];
        }
    }
    if (!e) {
        return qb_fail(q, false, "no DMA engine with device_id 0x%x (see caps.device_ids)",
                       req->device_id);
    }
    const bool write = req->access == RIOMMU_WRITE;
    uint32_t done = 0;
    uint64_t first_pa = 0;
    while (done < req->len) {
        uint64_t a = req->iova + done;
        uint32_t n = (uint32_t)(QB_PAGE - (a & (QB_PAGE - 1)));
        if (n > req->len - done) {
            n = req->len - done;
        }
        bool faulted = false;
        uint64_t pa = 0;
        if (qb_dma_page(q, e, req->device_id, a, done, n, write, buf, rsp, &faulted, &pa)) {
            return -1;
        }
        if (faulted) {
            return 0;
        }
        if (done == 0) {
            first_pa = pa;
        }
        done += n;
    }
    rsp->status = RIOMMU_RSP_OK;
    rsp->pa = first_pa; /* observed (QEMU's trace); range_size is not */
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Backend ops: the rest                                                      */
/* ------------------------------------------------------------------------- */

static void qb_op_caps(void *ctx, riommu_backend_caps *out)
{
    qb *q = ctx;
    memset(out, 0, sizeof *out);
    out->dma = true;
    out->dma_exec = false;
    out->process_id = false;
    out->priv = false;
    out->translated = false;
    out->max_dma_len = EDU_BUF_SIZE;
    out->device_ids = q->dev_ids;
    out->n_device_ids = q->n_edu;
    out->reports_pa = true;
    out->reports_range = false;
    out->reports_cause = true;
    out->events = false;
    out->cycles = false;
}

static uint64_t qb_op_settle(void *ctx)
{
    (void)ctx; /* QEMU's register side effects complete inside the access */
    return 0;
}

static size_t qb_op_events(void *ctx, riommu_event *out, size_t max)
{
    (void)ctx;
    (void)out;
    (void)max;
    return 0;
}

/* Close the channel and end the child: SIGTERM, a short grace, SIGKILL,
 * then reap. */
static void qb_stop(qb *q)
{
    if (q->fd >= 0) {
        close(q->fd);
        q->fd = -1;
    }
    if (q->tfd >= 0) {
        close(q->tfd);
        q->tfd = -1;
    }
    if (q->logfd >= 0) {
        close(q->logfd);
        q->logfd = -1;
    }
    if (q->pid > 0) {
        int st;
        kill(q->pid, SIGTERM);
        bool reaped = false;
        for (int waited = 0; waited < QB_TERM_GRACE_MS; waited += 5) {
            pid_t r = waitpid(q->pid, &st, WNOHANG);
            if (r == q->pid || (r < 0 && errno == ECHILD)) {
                reaped = true;
                break;
            }
            qb_sleep_ms(5);
        }
        if (!reaped) {
            kill(q->pid, SIGKILL);
            while (waitpid(q->pid, &st, 0) < 0 && errno == EINTR) {
            }
        }
        q->pid = -1;
    }
}

static void qb_op_destroy(void *ctx)
{
    qb *q = ctx;
    if (!q) {
        return;
    }
    qb_stop(q);
    free(q->rbuf);
    free(q->wbuf);
    free(q);
}

/* ------------------------------------------------------------------------- */
/* Creation                                                                   */
/* ------------------------------------------------------------------------- */

riommu_qemu_config riommu_qemu_config_default(void)
{
    riommu_qemu_config c;
    memset(&c, 0, sizeof c);
    c.qemu_path = "qemu-system-riscv64";
    c.ram_mib = 512;
    c.n_edu = 2;
    c.reply_timeout_ms = 5000;
    c.start_timeout_ms = 10000;
    c.extra_args = NULL;
    c.log_path = NULL;
    c.trace = NULL;
    return c;
}

static void qb_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void qb_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

typedef struct qb_argv {
    char **v;
    size_t n, cap;
    bool oom;
} qb_argv;

static void qb_arg(qb_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void qb_arg(qb_argv *a, const char *fmt, ...)
{
    if (a->oom) {
        return;
    }
    if (a->n + 2 > a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 32;
        char **nv = realloc(a->v, nc * sizeof *nv);
        if (!nv) {
            a->oom = true;
            return;
        }
        a->v = nv;
        a->cap = nc;
    }
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0) {
        a->oom = true;
        return;
    }
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

static void qb_argv_free(qb_argv *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i]);
    }
    free(a->v);
}

/* First line of what the child wrote to its log since `off`, for start-up
 * failure messages. */
static void qb_log_line(int fd, off_t off, char *out, size_t outlen)
{
    out[0] = '\0';
    if (fd < 0 || outlen < 2) {
        return;
    }
    char buf[512];
    ssize_t n = pread(fd, buf, sizeof buf - 1, off);
    if (n <= 0) {
        return;
    }
    buf[n] = '\0';
    char *nl = strchr(buf, '\n');
    if (nl) {
        *nl = '\0';
    }
    snprintf(out, outlen, ": %.300s", buf);
}

void riommu_qemu_model_config(riommu_config *cfg)
{
    cfg->capabilities = RIOMMU_FIELD_PREP(RIOMMU_CAP_VERSION, 0x10) | RIOMMU_CAP_SV32 |
                        RIOMMU_CAP_SV39 | RIOMMU_CAP_SV48 | RIOMMU_CAP_SV57 |
                        RIOMMU_CAP_MSI_FLAT | RIOMMU_CAP_HPM | RIOMMU_CAP_DBG |
                        RIOMMU_FIELD_PREP(RIOMMU_CAP_IGS, RIOMMU_IGS_MSI) |
                        RIOMMU_FIELD_PREP(RIOMMU_CAP_PAS, 56);
    cfg->cq_max_log2szm1 = 31;
    cfg->fq_max_log2szm1 = 31;
    cfg->pq_max_log2szm1 = 31;
    cfg->hpm_counters = 31;
    cfg->synchronous = true;
    cfg->qb_write_clears_index = true; /* QEMU zeroes cqt/fqh when the queue is enabled */
}

static const char *qb_op_last_error(void *ctx)
{
    const qb *q = ctx;
    return q->err;
}

int riommu_qemu_backend_create(const riommu_qemu_config *cfg_in, riommu_backend_ops *out,
                               char *err, size_t errlen)
{
    riommu_qemu_config cfg = cfg_in ? *cfg_in : riommu_qemu_config_default();
    const riommu_qemu_config dflt = riommu_qemu_config_default();
    if (!cfg.qemu_path || !cfg.qemu_path[0]) {
        cfg.qemu_path = dflt.qemu_path;
    }
    if (!cfg.ram_mib) {
        cfg.ram_mib = dflt.ram_mib;
    }
    if (!cfg.reply_timeout_ms) {
        cfg.reply_timeout_ms = dflt.reply_timeout_ms;
    }
    if (!cfg.start_timeout_ms) {
        cfg.start_timeout_ms = dflt.start_timeout_ms;
    }
    if (err && errlen) {
        err[0] = '\0';
    }
    if (!out) {
        qb_seterr(err, errlen, "no ops struct to fill");
        return -1;
    }
    memset(out, 0, sizeof *out);
    if (cfg.n_edu < 1 || cfg.n_edu > RIOMMU_QEMU_MAX_EDU) {
        qb_seterr(err, errlen, "n_edu %u: must be 1..%u", cfg.n_edu, RIOMMU_QEMU_MAX_EDU);
        return -1;
    }
    if (cfg.edu_slots) {
        uint32_t seen = 0;
        for (unsigned i = 0; i < cfg.n_edu; i++) {
            unsigned sl = cfg.edu_slots[i];
            if (sl < 2 || sl > 31 || (seen & (1u << sl))) {
                qb_seterr(err, errlen, "edu slot %u: must be 2..31 and not repeated", sl);
                return -1;
            }
            seen |= 1u << sl;
        }
    }
    if (cfg.ram_mib < 2 || cfg.ram_mib > (1u << 20)) {
        qb_seterr(err, errlen, "ram_mib %u: must be 2..1048576", cfg.ram_mib);
        return -1;
    }

    qb *q = calloc(1, sizeof *q);
    if (!q) {
        qb_seterr(err, errlen, "out of memory");
        return -1;
    }
    q->pid = -1;
    q->fd = -1;
    q->tfd = -1;
    q->logfd = -1;
    q->ram_bytes = (uint64_t)cfg.ram_mib << 20;
    q->reply_ms = cfg.reply_timeout_ms;
    q->rcap = 16384;
    q->rbuf = malloc(q->rcap);
    q->wcap = 2 * QB_MEM_CHUNK + 128;
    q->wbuf = malloc(q->wcap);
    if (!q->rbuf || !q->wbuf) {
        qb_seterr(err, errlen, "out of memory");
        qb_op_destroy(q);
        return -1;
    }

    /* The parked hart's loop, in a temporary file for -device loader. */
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !tmp[0]) {
        tmp = "/tmp";
    }
    char wfi[4096];
    snprintf(wfi, sizeof wfi, "%s/riommu-qemu-wfi-XXXXXX", tmp);
    int wfd = mkostemp(wfi, O_CLOEXEC);
    if (wfd < 0) {
        qb_seterr(err, errlen, "cannot create a temporary file in %s: %s", tmp,
                  strerror(errno));
        qb_op_destroy(q);
        return -1;
    }
    bool wrote = write(wfd, qb_wfi_loop, sizeof qb_wfi_loop) == (ssize_t)sizeof qb_wfi_loop;
    close(wfd);
    if (!wrote) {
        qb_seterr(err, errlen, "cannot write %s", wfi);
        unlink(wfi);
        qb_op_destroy(q);
        return -1;
    }

    /* Command line, built before fork (no allocation in the child). */
    qb_argv a = {0};
    qb_arg(&a, "%s", cfg.qemu_path);
    qb_arg(&a, "-machine");
    qb_arg(&a, "virt");
    qb_arg(&a, "-bios");
    qb_arg(&a, "none");
    qb_arg(&a, "-nodefaults");
    qb_arg(&a, "-display");
    qb_arg(&a, "none");
    qb_arg(&a, "-m");
    qb_arg(&a, "%uM", cfg.ram_mib);
    qb_arg(&a, "-qtest");
    qb_arg(&a, "stdio");
    qb_arg(&a, "-qtest-log");
    qb_arg(&a, "/dev/null");
    qb_arg(&a, "-device");
    qb_arg(&a, "loader,file=%s,addr=0x80000000", wfi);
    qb_arg(&a, "-icount");
    qb_arg(&a, "shift=0,sleep=off");
    qb_arg(&a, "-device");
    qb_arg(&a, "riscv-iommu-pci,addr=01.0");
    for (unsigned i = 0; i < cfg.n_edu; i++) {
        qb_arg(&a, "-device");
        qb_arg(&a, "edu,addr=%02x.0,dma_mask=0xffffffffffffffff",
               cfg.edu_slots ? cfg.edu_slots[i] : 2 + i);
    }
    /* The device's translations and faults, on fd 3 (see qb_trace_line). */
    qb_arg(&a, "-trace");
    qb_arg(&a, "riscv_iommu_dma");
    qb_arg(&a, "-trace");
    qb_arg(&a, "riscv_iommu_flt");
    if (cfg.trace && cfg.trace[0]) {
        qb_arg(&a, "-trace");
        qb_arg(&a, "%s", cfg.trace);
    }
    qb_arg(&a, "-D");
    qb_arg(&a, "/dev/fd/3");
    for (size_t i = 0; cfg.extra_args && cfg.extra_args[i]; i++) {
        qb_arg(&a, "%s", cfg.extra_args[i]);
    }

    /* QEMU's stderr: the log file, or an unlinked temporary file kept only
     * to quote QEMU's message if start-up fails. */
    int logfd;
    if (cfg.log_path && cfg.log_path[0]) {
        logfd = open(cfg.log_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    } else {
        char lp[4096];
        snprintf(lp, sizeof lp, "%s/riommu-qemu-log-XXXXXX", tmp);
        logfd = mkostemp(lp, O_CLOEXEC);
        if (logfd >= 0) {
            unlink(lp);
        }
    }
    int sv[2] = {-1, -1}, ep[2] = {-1, -1}, tp[2] = {-1, -1};
    if (a.oom || logfd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ||
        pipe2(ep, O_CLOEXEC) || pipe2(tp, O_CLOEXEC)) {
        qb_seterr(err, errlen, "cannot set up QEMU's stdio/log (%s): %s",
                  cfg.log_path ? cfg.log_path : "temporary file", strerror(errno));
        goto fail_pre_fork;
    }
    off_t log_off = lseek(logfd, 0, SEEK_END);
    if (log_off < 0) {
        log_off = 0;
    }

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        qb_seterr(err, errlen, "fork: %s", strerror(errno));
        goto fail_pre_fork;
    }
    if (pid == 0) {
        /* Child: async-signal-safe calls only. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(127);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        /* stdin/stdout: qtest; stderr: log; fd 3: trace. Move the sources
         * above 10 first so that no dup2 overwrites another's source. */
        int fio = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
        int flog = fcntl(logfd, F_DUPFD_CLOEXEC, 10);
        int ftr = fcntl(tp[1], F_DUPFD_CLOEXEC, 10);
        if (fio < 0 || flog < 0 || ftr < 0 || dup2(fio, 0) < 0 || dup2(fio, 1) < 0 ||
            dup2(flog, 2) < 0 || dup2(ftr, 3) < 0) {
            int e = errno;
            ssize_t wr = write(ep[1], &e, sizeof e);
            (void)wr;
            _exit(127);
        }
        /* Nothing else of the parent's reaches QEMU. */
        close_range(4, ~0u, CLOSE_RANGE_CLOEXEC);
        execvp(a.v[0], a.v);
        int e = errno;
        ssize_t wr = write(ep[1], &e, sizeof e);
        (void)wr;
        _exit(127);
    }

    /* Parent. */
    q->pid = pid;
    q->fd = sv[0];
    q->tfd = tp[0];
    close(sv[1]);
    close(ep[1]);
    close(tp[1]);
    sv[0] = sv[1] = ep[1] = tp[0] = tp[1] = -1;
    {
        int e = 0;
        ssize_t n;
        while ((n = read(ep[0], &e, sizeof e)) < 0 && errno == EINTR) {
        }
        close(ep[0]);
        ep[0] = -1;
        if (n == (ssize_t)sizeof e) {
            qb_seterr(err, errlen, "cannot execute '%s': %s", cfg.qemu_path, strerror(e));
            goto fail_post_fork;
        }
    }
    if (fcntl(q->fd, F_SETFL, fcntl(q->fd, F_GETFL) | O_NONBLOCK) < 0 ||
        fcntl(q->tfd, F_SETFL, fcntl(q->tfd, F_GETFL) | O_NONBLOCK) < 0) {
        qb_seterr(err, errlen, "fcntl: %s", strerror(errno));
        goto fail_post_fork;
    }

    /* First reply: QEMU is up (the loader has read the file by now). */
    {
        size_t len;
        char *r;
        if (qb_fmt(q, &len, "readl 0x%llx\n", QB_ECAM) ||
            qb_xfer_t(q, len, &r, cfg.start_timeout_ms)) {
            char why[400];
            qb_sleep_ms(20);
            qb_log_line(logfd, log_off, why, sizeof why);
            qb_seterr(err, errlen, "QEMU did not start: %s%s", q->err, why);
            goto fail_post_fork;
        }
    }
    unlink(wfi);
    wfi[0] = '\0';
    if (qb_pci_setup(q, cfg.n_edu)) {
        qb_seterr(err, errlen, "PCI set-up failed: %s", q->err);
        goto fail_post_fork;
    }
    if (cfg.log_path && cfg.log_path[0]) {
        q->logfd = logfd; /* trace lines are copied there */
    } else {
        close(logfd);
    }
    qb_argv_free(&a);
    q->err[0] = '\0';

    out->name = "qemu";
    out->ctx = q;
    out->caps = qb_op_caps;
    out->mmio_read = qb_op_mmio_read;
    out->mmio_write = qb_op_mmio_write;
    out->mem_write = qb_op_mem_write;
    out->mem_read = qb_op_mem_read;
    out->dma = qb_op_dma;
    out->settle = qb_op_settle;
    out->events = qb_op_events;
    out->destroy = qb_op_destroy;
    out->last_error = qb_op_last_error;
    return 0;

fail_post_fork:
    qb_stop(q);
fail_pre_fork:
    for (int i = 0; i < 2; i++) {
        if (sv[i] >= 0) {
            close(sv[i]);
        }
        if (ep[i] >= 0) {
            close(ep[i]);
        }
        if (tp[i] >= 0) {
            close(tp[i]);
        }
    }
    if (logfd >= 0) {
        close(logfd);
    }
    if (wfi[0]) {
        unlink(wfi);
    }
    qb_argv_free(&a);
    qb_op_destroy(q);
    return -1;
}

pid_t riommu_qemu_backend_pid(const riommu_backend_ops *ops)
{
    const qb *q = ops->ctx;
    return q->pid;
}

const char *riommu_qemu_backend_error(const riommu_backend_ops *ops)
{
    const qb *q = ops->ctx;
    return q->err;
}

uint64_t riommu_qemu_backend_iommu_bar(const riommu_backend_ops *ops)
{
    const qb *q = ops->ctx;
    return q->iommu_bar;
}
