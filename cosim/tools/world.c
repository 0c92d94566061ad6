/*
 * world.c - the co-simulated world (world.h).
 */
#include "world.h"

#include <stdio.h>
#include <string.h>

#include "riommu/model_backend.h"
#include "riommu/qemu_backend.h"
#ifdef RIOMMU_HAVE_RTL
#include "riommu/rtl_backend.h"
#include "riommu_dut.h"
#endif

/* model2: same functions, other cache geometry, replacement and timing. */
static void model2_config(riommu_config *c)
{
    c->iotlb.entries = 4;
    c->iotlb.assoc = 2;
    c->iotlb.policy = RIOMMU_REPL_FIFO;
    c->ddtc.entries = 2;
    c->ddtc.assoc = 1;
    c->ddtc.policy = RIOMMU_REPL_FIFO;
    c->walkc.enable = false;
    c->timing.mem_lat = 3;
    c->timing.cmd_lat = 40;
    c->timing.ddtp_busy = 100;
    c->timing.qcsr_busy = 0;
    c->timing.xlate_slots = 1; /* tight slots (docs/timing.md) */
    c->timing.ptw_slots = 1;
    c->iotlb.lat = 3;
    c->iotlb.slots = 3;
}

bool world_has_qemu(const run_backend_spec *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (b[i].kind == RUN_BE_QEMU)
            return true;
    return false;
}

bool world_has_rtl(const run_backend_spec *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (b[i].kind == RUN_BE_RTL)
            return true;
    return false;
}

bool world_clocked(const riommu_cosim *c)
{
    for (unsigned i = 0; i < riommu_cosim_backend_count(c); i++)
        if (riommu_cosim_backend(c, i)->clock)
            return true;
    return false;
}

/* The tag of `name` into out[0..len); false when it does not fit. */
static bool wave_tag(const char *name, char *out, size_t len)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t n = strlen(base);
    if (n > 4 && !strcmp(base + n - 4, ".scn"))
        n -= 4;
    if (n + 1 > len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = base[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        out[i] = ok ? ch : '_';
    }
    out[n] = 0;
    return true;
}

bool world_wave_tag(const char *name, char *out, size_t len)
{
    size_t n;
    if (!wave_tag(name, out, len))
        return false;
    n = strlen(out);
    return (size_t)snprintf(out + n, len - n, ".fst") < len - n;
}

bool world_wave_name(const char *file, const char *name, char *out, size_t len)
{
    char tag[256];
    if (!wave_tag(name, tag, sizeof tag))
        return false;
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - file) : strlen(file);
    int n = snprintf(out, len, "%.*s-%s%s", (int)stem, file, tag, file + stem);
    return n >= 0 && (size_t)n < len;
}

bool world_rtl_model_config(riommu_config *cfg, unsigned mem_lat)
{
#ifdef RIOMMU_HAVE_RTL
    riommu_rtl_model_config(cfg);
    if (mem_lat > 1)
        riommu_rtl_model_slave_lat(cfg, mem_lat);
    return true;
#else
    (void)cfg;
    (void)mem_lat;
    return false;
#endif
}

unsigned world_rtl_mem_lat(const run_backend_spec *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (b[i].kind == RUN_BE_RTL && b[i].mem_lat)
            return b[i].mem_lat;
    return 1;
}

bool world_rtl_check(const riommu_config *cfg, char *why, size_t len)
{
#ifdef RIOMMU_HAVE_RTL
    return riommu_rtl_dut_check(riommu_rtl_riommu_dut(), cfg, 0, why, len) == 0;
#else
    (void)cfg;
    snprintf(why, len, "this riommu was built without Verilator");
    return false;
#endif
}

/* Leave backend `sp` out: counted skipped once per kind, the reason in note. */
static void world_leave_out(const run_backend_spec *sp, const char *why, bool *left_out,
                            uint64_t *skipped, char *note, size_t notelen)
{
    if (*left_out) /* once, however many backends of the kind */
        return;
    size_t l = strlen(note);
    *skipped += 1;
    snprintf(note + l, notelen - l, "%snot run on %s: %s", l ? "; " : "", sp->name, why);
    *left_out = true;
}

void world_default_window(bool qemu, uint64_t *base, uint64_t *size)
{
    riommu_cosim_config cc;
    riommu_cosim_config_default(&cc);
    *base = qemu ? RUN_QEMU_DMA_BASE : cc.dma_base;
    *size = cc.dma_size;
}

riommu_cosim *world_create(const world_params *p, uint64_t *skipped, char *note,
                           size_t notelen, char *err, size_t errlen)
{
    riommu_backend_ops be[RUN_MAX_BACKENDS];
    unsigned n = 0;
    char e[512];
    bool left_out = false, rtl_left_out = false;
    bool qemu = world_has_qemu(p->backends, p->nbackends) && !p->qemu_not_run;
    riommu_cosim_config cc;
    riommu_cosim_config_default(&cc);
    if (p->dma_size) {
        cc.dma_base = p->dma_base;
        cc.dma_size = p->dma_size;
    } else {
        world_default_window(qemu, &cc.dma_base, &cc.dma_size);
    }
    if (p->wave && !p->wave[0]) {
        snprintf(err, errlen, "--wave: an empty file name");
        return NULL;
    }
    if (p->wave) {
        unsigned nrtl = 0;
        for (unsigned i = 0; i < p->nbackends; i++)
            nrtl += p->backends[i].kind == RUN_BE_RTL;
        if (nrtl != 1) {
            snprintf(err, errlen, "--wave FILE needs %s rtl backend in the list (e.g. "
                                  "--backends model,rtl)", nrtl ? "exactly one" : "an");
            return NULL;
        }
    }
    /* QEMU keeps its parked hart at 0x80000000-0x80000fff */
    if (qemu && cc.dma_base < RUN_QEMU_DMA_BASE && cc.dma_base + cc.dma_size > RUN_QEMU_RAM_BASE) {
        snprintf(err, errlen,
                 "the DMA window 0x%llx+0x%llx overlaps 0x80000000-0x800fffff, which QEMU "
                 "reserves (record with a qemu backend in the list to get a window above it)",
                 (unsigned long long)cc.dma_base, (unsigned long long)cc.dma_size);
        return NULL;
    }
    for (unsigned i = 0; i < p->nbackends && i < RUN_MAX_BACKENDS; i++) {
        const run_backend_spec *sp = &p->backends[i];
        int rc;
        if (sp->kind == RUN_BE_QEMU) {
            if (p->qemu_not_run) {
                world_leave_out(sp, p->qemu_not_run, &left_out, skipped, note, notelen);
                continue;
            }
            riommu_qemu_config qc = riommu_qemu_config_default();
            qc.ram_mib = RUN_QEMU_RAM_MIB; /* the PAs scenarios map: 0x1_0000_0000... */
            if (p->n_edu) {
                qc.n_edu = p->n_edu;
                qc.edu_slots = p->edu_slots;
            }
            rc = riommu_qemu_backend_create(&qc, &be[n], e, sizeof e);
        } else if (sp->kind == RUN_BE_RTL) {
            if (p->rtl_not_run) {
                world_leave_out(sp, p->rtl_not_run, &rtl_left_out, skipped, note, notelen);
                continue;
            }
#ifdef RIOMMU_HAVE_RTL
            riommu_rtl_config rcfg;
            memset(&rcfg, 0, sizeof rcfg);
            rcfg.dut = riommu_rtl_riommu_dut();
            rcfg.model = p->model; /* the DUT's straps follow the reference */
            rcfg.mutant = p->rtl_mutant;
            rcfg.wave = p->wave;
            rcfg.mem_lat_min = sp->mem_lat;
            rc = riommu_rtl_backend_create(&rcfg, &be[n], e, sizeof e);
#else
            snprintf(e, sizeof e, "this riommu was built without Verilator (no rtl backend)");
            rc = -1;
#endif
        } else {
            riommu_config cfg = *p->model;
            if (sp->kind == RUN_BE_MODEL2)
                model2_config(&cfg);
            cfg.defects = sp->defects;
            rc = riommu_model_backend_create(&cfg, sp->name, &be[n], e, sizeof e);
        }
        if (rc < 0) {
            snprintf(err, errlen, "backend %s: %s", sp->name, e);
            for (unsigned j = 0; j < n; j++)
                be[j].destroy(be[j].ctx);
            return NULL;
        }
        be[n].name = sp->name;
        n++;
    }
    cc.stop_at_first = p->stop_at_first;
    riommu_cosim *c = riommu_cosim_create(be, n, &cc);
    if (!c) {
        for (unsigned j = 0; j < n; j++)
            be[j].destroy(be[j].ctx);
        snprintf(err, errlen, "cannot create the co-simulation engine");
        return NULL;
    }
    if (!riommu_waivers_apply_for(c, p->waivers, p->nwaivers, p->scenario)) {
        riommu_cosim_destroy(c);
        snprintf(err, errlen, "too many waiver rules");
        return NULL;
    }
    return c;
}

void world_names(const riommu_cosim *c, char *out, size_t len)
{
    size_t l = 0;
    out[0] = 0;
    for (unsigned i = 0; i < riommu_cosim_backend_count(c) && l < len; i++)
        l += (size_t)snprintf(out + l, len - l, "%s%s", i ? "," : "",
                              riommu_cosim_backend_name(c, i));
}

void world_step(riommu_cosim *c, uint64_t cycles)
{
    for (unsigned i = 0; i < riommu_cosim_backend_count(c); i++) {
        riommu *bm = riommu_model_backend_model(riommu_cosim_backend(c, i));
        if (bm)
            riommu_step(bm, cycles);
    }
}

void world_mem_write(riommu_cosim *c, uint64_t pa, const void *buf, size_t len)
{
    for (unsigned i = 0; i < riommu_cosim_backend_count(c); i++) {
        const riommu_backend_ops *b = riommu_cosim_backend(c, i);
        b->mem_write(b->ctx, pa, buf, len);
    }
}

void world_setup_msi(const riommu_hw_ops *ops, const riommu_config *model)
{
    unsigned igs = (unsigned)RIOMMU_FIELD_GET(model->capabilities, RIOMMU_CAP_IGS);
    if (igs == RIOMMU_IGS_WSI)
        return;
    unsigned nv = model->num_vectors < 4 ? model->num_vectors : 4;
    for (unsigned v = 0; v < nv; v++) {
        ops->write64(ops->ctx, RIOMMU_REG_MSI_ADDR(v), 0x7FFFF000ull + 4ull * v);
        ops->write32(ops->ctx, RIOMMU_REG_MSI_DATA(v), v);
        ops->write32(ops->ctx, RIOMMU_REG_MSI_VEC_CTL(v), 0);
    }
}
