/*
 * randgen.h - constrained-random scenarios for `riommu random`
 * (docs/random.md). A seed becomes scenario TEXT in the language of
 * docs/scenarios.md; the caller parses it with scn_parse and runs it with
 * run_program exactly like a file given to `riommu run`, so a failing seed
 * can be printed, saved, edited and rerun as an ordinary scenario.
 *
 * WHAT A SCENARIO DOES. Driver bring-up (sometimes with other queue sizes,
 * polling, a platform bus, 32-bit MMIO), probes of several devices
 * (sometimes with two IDs), paging domains, devices attached, detached and
 * moved between identity, blocked and paging domains, maps of random sizes
 * and alignments (4 KiB, 64 KiB NAPOT, 2 MiB, 1 GiB, 512 GiB leaves where the
 * alignment of IOVA and PA allows; r or rw, sometimes noexec), unmaps with
 * and without the invalidation (`nosync`, later `sync` or `flush`), remaps
 * to another PA with and without invalidation, `iova-to-phys`, device DMA
 * inside and outside mappings (writes with data patterns, reads checking
 * the bytes written before, reads of never-written memory, non-canonical
 * IOVAs, multi-page accesses that fault half-way), raw invalidation
 * commands, IOFENCE.C with a completion write, illegal commands and the
 * driver's recovery, command-queue wrap, fault-queue overflow, leaf PTEs
 * whose U bit is cleared behind the driver's back, register reads,
 * backdoor reads of device contexts and PTEs, statistics, and sometimes
 * remove or shutdown at the end (with a second bring-up after it).
 *
 * HOW EXPECTATIONS ARE KNOWN. The generator keeps a shadow of everything
 * that decides a result: the driver state, devices and where each is
 * attached, domains with their PSCIDs and page-table leaves (the driver's
 * own page-size splitting is replayed), the fault queue (capacity, pending
 * records, overflow), pending driver events, the model statistics it
 * checks, and the bytes of every physical page a DMA or IOFENCE.C wrote.
 * Every `dma` gets an exact expectation. IOVA ranges whose translation
 * changed without an invalidation yet ("dirty": `unmap ... nosync`, a remap
 * before `sync`, a PTE edited behind the driver's back) are never the
 * target of a DMA until an invalidation covers them: there the spec allows
 * either the old or the new translation, so backends with other cache
 * geometry may legitimately differ.
 *
 * Deterministic: the same seed and target give the same text, byte for
 * byte, on every host (own PRNG, xoshiro256** seeded by splitmix64; no
 * rand(), no time, no addresses).
 */
#ifndef RIOMMU_RANDGEN_H
#define RIOMMU_RANDGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The driver profile of a scenario (`driver profile ...`). RANDOM picks
 * mainline or linux-6.13 from the seed (half each). */
typedef enum randgen_profile {
    RANDGEN_PROFILE_RANDOM = 0,
    RANDGEN_PROFILE_MAINLINE,
    RANDGEN_PROFILE_LINUX613
} randgen_profile;

/* What the backends of a run can do; the generator stays inside it. */
typedef struct randgen_target {
    const char *name;          /* for the header comment, e.g. "model,model2" */
    randgen_profile profile;
    /* Device IDs that may issue DMA (and so are probed); NULL/0: any ID the
     * DDT mode of the scenario holds, plus IDs too wide for it. */
    const uint32_t *device_ids;
    unsigned n_device_ids;
    bool config;               /* `config` lines: caps, DDT modes, caches,
                                  timing, queue limits, vectors */
    bool config_straps_only;   /* with config: only what an rtl DUT's straps
                                  set (caps, DDT modes and reset, queue
                                  limits, vectors); no cache, timing or
                                  implementation-choice lines */
    bool dma_pid_priv_exec;    /* DMA with `pid`, `priv` or `exec` */
    bool platform_bus;         /* `driver bus platform` (wired interrupts) */
    /* Stimulus a backend is known to get wrong, each a documented
     * divergence with its own minimal scenario: random runs stay clear of
     * it so that they can find new differences. */
    bool napot;                /* 64 KiB NAPOT leaves (mainline's napot_64k;
                                  QEMU: docs/divergences #11 qemu-napot) */
    bool clear_u;              /* leaves with U cleared (`pte ... write`;
                                  QEMU: #15 qemu-ignores-u) */
    bool fip_reassert;         /* ipsr.fip is set again while fqof stays 1
                                  (the spec's level condition; QEMU: #17
                                  qemu-fip-reassert does not): without it
                                  the generator clears fip after an
                                  overflow is handled, so both agree */
    bool dma_when_off;         /* device DMA after teardown turned ddtp Off
                                  (QEMU: #18 qemu-off-uses-cache translates
                                  with cached contexts) */
    bool illegal_cmds;         /* illegal commands and the cq-repair recovery
                                  (QEMU: #16 qemu-cmd-ill-resume, pending
                                  commands wait for the next cqt write) */
    bool noncanonical;         /* non-canonical IOVAs (QEMU: #14
                                  qemu-noncanonical translates them) */
    bool write_readonly;       /* device writes to read-only leaves (QEMU:
                                  #5 qemu-cached-perm, a cached read
                                  translation lets the write through) */
    uint32_t max_dma_len;      /* longest DMA in bytes, 1..65536 */
    /* The reference model's timing.dma_txn_bytes (docs/timing.md "DMA
     * transactions"): every transaction is a translation in the model's
     * statistics. 0: the default (4096, a page), or what a `config timing`
     * line of the seed sets. */
    uint32_t dma_txn_bytes;
    /* Physical window for mapped and identity-translated data, in bytes:
     * memory every backend has, outside the driver's allocations. 1 GiB
     * leaves need a 1 GiB-aligned GiB inside it, 512 GiB leaves a 512
     * GiB-aligned one. */
    uint64_t pa_base, pa_size;
} randgen_target;

/* A target for the model backends (model, model2, defective models):
 * everything the model does. `name` and `profile` are left for the caller. */
void randgen_target_model(randgen_target *t);

/* A target for runs with a QEMU 10.0 riscv-iommu-pci backend
 * (qemu_backend.h): no config lines, DMA only from `ids` (edu devices,
 * which the caller keeps alive), reads and writes of at most 4 KiB without
 * pid/priv, PCI bus, data inside guest RAM above the driver's window, no
 * NAPOT leaves, U-cleared leaves, non-canonical IOVAs, writes to read-only
 * leaves or illegal commands (documented QEMU divergences). */
void randgen_target_qemu(randgen_target *t, const uint32_t *ids, unsigned n);

/* Seed `seed`'s scenario for target t, parsed as the program "seed-S":
 * what `riommu mutate` and `riommu calibrate` run. NULL with a one-line
 * reason in err (out of memory, or a generator bug: the text does not
 * parse, naming the line). The caller frees it with scn_free. */
struct scn_program *randgen_program(uint64_t seed, const randgen_target *t, char *err,
                                    size_t errlen);

/* A target for runs with the rtl backend (rtl-harness/dut riommu_rtl_top,
 * fixed parameters, no PDT): the model's, with strap-level config lines
 * only and without DMA with pid/priv/exec. `dma_txn_bytes` is the
 * reference model's for that DUT (riommu_rtl_model_config, through
 * world_rtl_model_config; the default without Verilator). */
void randgen_target_rtl(randgen_target *t);

/*
 * Generate the scenario for `seed` on target `t`. On success returns true
 * and sets *text to a NUL-terminated malloc'd string of *len bytes (the
 * caller frees it). It starts with comment lines naming the seed, the
 * target and the profile. Returns false only when memory runs out.
 */
bool randgen_generate(uint64_t seed, const randgen_target *t, char **text, size_t *len);

/* The profile a seed runs with under `t` (resolves RANDOM). */
randgen_profile randgen_seed_profile(uint64_t seed, const randgen_target *t);

/* "random", "mainline", "linux-6.13". */
const char *randgen_profile_name(randgen_profile p);

/* Parse a profile name (those above; also "6.13", "linux613", "v10").
 * Returns false when unknown. */
bool randgen_profile_parse(const char *s, randgen_profile *out);

#endif
