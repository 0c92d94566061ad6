/*
 * qemu_backend.h - QEMU's riscv-iommu-pci as a co-simulation backend
 * (DESIGN.md §2.2, §2.7; ../shared/notes/qemu-backend.md).
 *
 * The backend starts one qemu-system-riscv64 (10.0) process per instance
 * and drives it through the qtest line protocol on the process's stdin and
 * stdout ("-qtest stdio"):
 *
 *   qemu-system-riscv64 -machine virt -bios none -nodefaults -display none
 *     -m <ram> -qtest stdio -qtest-log /dev/null
 *     -device loader,file=<tmp wfi loop>,addr=0x80000000
 *     -icount shift=0,sleep=off
 *     -device riscv-iommu-pci,addr=01.0
 *     -device edu,addr=SS.0,dma_mask=0xffffffffffffffff  (one per edu,
 *                                    slots 02, 03, ... or cfg.edu_slots)
 *     -trace riscv_iommu_dma -trace riscv_iommu_flt [-trace <cfg.trace>]
 *     -D /dev/fd/3 [extra args]
 *
 * (stderr goes to cfg.log_path or nowhere; fd 3 is the backend's trace
 * pipe, whose lines are also copied to cfg.log_path.)
 *
 * The hart runs a parked "wfi; j .-4" loop at 0x80000000 so that virtual
 * time jumps to the next timer (the edu's DMA timer); 0x80000000-0x80000fff
 * is reserved for it and mem_write refuses it. At creation the backend
 * enumerates PCI bus 0 through ECAM (0x30000000), finds the IOMMU
 * (1b36:0014) and the edu DMA engines (1234:11e8), assigns BAR0s in the
 * 32-bit window from 0x40000000, enables memory decoding and bus mastering,
 * and enables the IOMMU's MSI-X capability so that msi_cfg_tbl (BAR0+0x300,
 * QEMU's MSI-X table) produces MSI writes into RAM. Register offsets of
 * mmio_read/mmio_write are relative to the IOMMU's BAR0.
 *
 * WHAT IS AND IS NOT OBSERVABLE
 *
 * Everything here follows from QEMU 10.0's hw/misc/edu.c and
 * hw/riscv/riscv-iommu.c and was checked against the binary.
 *
 * - Registers and memory: exact (qtest readl/readq/writel/writeq, and
 *   read/write of guest RAM). QEMU is synchronous: a register's side
 *   effects (command processing, queue enables, ddtp) happen inside the
 *   access, so settle() returns 0 (no cycles; caps.cycles = false).
 * - Events: none reported (caps.events = false). The IOMMU's own writes
 *   (fault records, IOFENCE.C data, MSIs through msi_cfg_tbl/MSI-X) land in
 *   RAM and are compared there.
 * - Device DMA: only through an edu DMA engine, i.e. only the device IDs in
 *   caps.device_ids (bus 0, devfn of each edu), untranslated, no
 *   process_id, unprivileged, read or write (no execute), 1..4096 bytes.
 *   Anything else is refused with an error (the engine checks caps first);
 *   malformed requests (len 0, device_id >= 2^24) give BAD_REQUEST like the
 *   model.
 * - Translations: observed. The backend runs QEMU with the trace events
 *   riscv_iommu_dma and riscv_iommu_flt on a private pipe (-D /dev/fd/3);
 *   QEMU traces every translation of the edu's DMA with the address it
 *   produced. rsp->pa is that address for the request's first byte.
 *   range_size, permissions, PBMT, QoS IDs, cycles and IOTLB hit are not
 *   observed (0): caps.reports_pa = true, caps.reports_range = false.
 * - Status and cause: observed. Success is a traced translation. A fault
 *   is a new fault-queue record (cause and DID decoded, rsp->recorded =
 *   true); a fault QEMU did not record has its cause from QEMU's
 *   riscv_iommu_flt trace (queue off, full or in error) or, when DC.tc.DTF
 *   suppressed it, from QEMU's debug interface asked for the same request
 *   (rsp->recorded = false; QEMU's debug interface answers 256 for every
 *   device-context fault).
 * - Data: moved by the edu, but its 4 KiB buffer is internal device state
 *   with no MMIO window; it is filled and drained only by the edu's own
 *   DMA, which always goes through the IOMMU under test. So:
 *     read:  the edu DMA (IOVA -> buffer) runs; `buf` receives the bytes in
 *            RAM at the traced address (the bytes the edu read, as nothing
 *            runs in between).
 *     write: the edu DMA (buffer -> IOVA) runs with whatever the buffer
 *            holds; the backend checks that those bytes arrived at the
 *            traced address (it keeps a shadow of each edu buffer from the
 *            reads it observed; a difference is a backend error) and then
 *            stores `buf` there with a qtest write.
 *   So a data compare confirms "memory at the address QEMU translated to
 *   holds the data"; the write data itself never travels through QEMU's
 *   DMA path.
 * - One transaction per request. QEMU's memory core retries a faulting
 *   access in pieces of at most 4 bytes and the IOMMU records a fault per
 *   piece (a 16-byte faulting DMA writes 4 records, a 4 KiB one overflows
 *   a 64-entry queue). So for each 4 KiB page the request touches, the
 *   backend first issues a probe DMA of at most 4 bytes (aligned as QEMU
 *   splits), and only when it translates, the rest of the page. Like the
 *   model, a request stops at the first faulting page; earlier pages have
 *   moved their data. Cost: one extra untranslated request per page in
 *   QEMU's HPM counters (and a debug-interface translation for a
 *   DTF-suppressed fault, which leaves tr_req_iova/tr_req_ctl/tr_response
 *   holding the backend's request).
 * - Refused with an error instead of a wrong answer:
 *   . a device write to a virtual-interrupt-file address (DC.msiptp Flat
 *     and the address matches the MSI pattern): QEMU's edu DMA carries no
 *     requester ID (MEMTXATTRS_UNSPECIFIED) and QEMU's IOMMU drops such an
 *     MSI write without a fault record;
 *   . an access that QEMU translated but its memory core then refused
 *     (QEMU's IOTLB hit path does not check permissions, e.g. a write to a
 *     page cached read-only: the data is dropped and nothing is recorded);
 *     detected from the retried pieces in the trace, or from the shadow;
 *   . a translation to an address outside the backend's RAM (device BARs,
 *     0x80000000-0x80000fff), whose data cannot be observed safely.
 *
 * Timing (this machine): create ~35 ms, destroy ~5 ms, a register access
 * ~15 us, a 4 KiB mem_write ~110 us, a DMA 0.2-0.5 ms.
 *
 * Process management: fork/exec with one AF_UNIX socket pair as the qtest
 * stdin/stdout (a bidirectional pipe whose sends use MSG_NOSIGNAL, so a
 * dead QEMU gives an error instead of SIGPIPE), CLOEXEC descriptors, the
 * child in its own process group (terminal Ctrl-C reaches only the parent)
 * with PR_SET_PDEATHSIG(SIGKILL): if the thread that created the backend
 * dies, QEMU dies too. Every reply is awaited with poll() and a timeout;
 * after a timeout, EOF or a malformed reply the backend is dead and every
 * later op fails at once. destroy() closes the socket, sends SIGTERM, then
 * SIGKILL after a short grace, and reaps the child. Lines starting with
 * "IRQ" are asynchronous and skipped. Not thread-safe: one thread per
 * backend.
 */
#ifndef RIOMMU_QEMU_BACKEND_H
#define RIOMMU_QEMU_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "riommu/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RIOMMU_QEMU_MAX_EDU 30u

typedef struct riommu_qemu_config {
    /* QEMU binary; a name without '/' is looked up on PATH.
     * Default "qemu-system-riscv64". */
    const char *qemu_path;
    /* Guest RAM at 0x80000000, in MiB (default 512; at least 2). */
    unsigned ram_mib;
    /* edu DMA engines on bus 0 at 02.0, 03.0, ... (default 2, 1..30);
     * their device IDs are devfn = slot << 3 (0x10, 0x18, ...). */
    unsigned n_edu;
    /* Or the slots to put them in: edu_slots[0..n_edu-1], each 2..31 and
     * distinct (slot 1 is the IOMMU), so that the device IDs a scenario
     * uses exist; NULL for 2, 3, ... */
    const uint8_t *edu_slots;
    /* Longest wait for one qtest reply, in ms (default 5000). */
    unsigned reply_timeout_ms;
    /* Longest wait for QEMU's first reply after exec, in ms
     * (default 10000). */
    unsigned start_timeout_ms;
    /* Extra command-line arguments appended after the backend's own,
     * NULL-terminated; NULL for none. */
    const char *const *extra_args;
    /* File that receives QEMU's stderr (and -trace output); appended to,
     * created if missing. NULL: /dev/null. */
    const char *log_path;
    /* -trace pattern such as "riscv_iommu_*" (output goes to log_path);
     * NULL for none. */
    const char *trace;
} riommu_qemu_config;

/* The defaults above. */
riommu_qemu_config riommu_qemu_config_default(void);

/*
 * Make *cfg (start from riommu_config_default) the model configuration
 * whose implementation-defined choices are QEMU 10.0 riscv-iommu-pci's, as
 * far as the model implements them: the reference of a model,qemu run.
 * capabilities: QEMU's value without what the model does not implement
 * (Sv32x4-Sv57x4, MSI_MRIF, ATS, PD8; see docs/divergences/qemu-10.0.md
 * "model limitations"), i.e. Sv32-Sv57, MSI_FLAT, HPM, DBG, IGS=MSI,
 * PAS=56; queues up to 2^32 entries; 31 HPM counters; register side
 * effects within the MMIO access (synchronous).
 */
void riommu_qemu_model_config(riommu_config *cfg);

/*
 * Start QEMU and fill `out` with a backend (name "qemu") driving it; the
 * backend is released by out->destroy(out->ctx). On failure returns a
 * negative value, writes a one-line reason (e.g. "cannot execute
 * 'qemu-system-riscv64': No such file or directory") into err (errlen bytes,
 * may be 0) and leaves no process or file behind. `cfg` NULL means defaults;
 * strings in cfg are copied. Takes about 0.1 s.
 */
int riommu_qemu_backend_create(const riommu_qemu_config *cfg,
                               riommu_backend_ops *out, char *err,
                               size_t errlen);

/* Process ID of the QEMU child of a backend made by
 * riommu_qemu_backend_create (for tests and diagnostics); -1 once it has
 * been reaped. `ops` must be such a backend, not yet destroyed. */
pid_t riommu_qemu_backend_pid(const riommu_backend_ops *ops);

/* The reason of the backend's last failed op ("" if none). The string lives
 * until the next op or destroy. */
const char *riommu_qemu_backend_error(const riommu_backend_ops *ops);

/* Base address of the IOMMU's BAR0 as assigned at creation (the registers
 * of mmio_read/mmio_write; MSI-X table at +0x300). */
uint64_t riommu_qemu_backend_iommu_bar(const riommu_backend_ops *ops);

#ifdef __cplusplus
}
#endif

#endif
