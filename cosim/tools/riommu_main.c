/*
 * riommu_main.c - the `riommu` command-line tool: argument handling and
 * dispatch only.
 *
 *   riommu run [OPTIONS] [SCENARIO...]   scenarios through the reference driver on the model
 *   riommu replay TRACE [OPTIONS]        a trace of `run --trace FILE` on any backends
 *   riommu demo                          the built-in default scenario (alias of `run`)
 *   riommu random --seeds A-B [...]      constrained-random scenarios (randgen.h)
 *   riommu shrink SCENARIO [OPTIONS]     a failing scenario cut down (shrink.h)
 *   riommu mutate [OPTIONS] [SCENARIO...] the RTL mutation campaign (mutate.h)
 *   riommu calibrate [OPTIONS]           fit the model's timing to the DUT (calibrate.h)
 *   riommu decode KIND HEX...            name every field of a value
 *   riommu bench [--model] [--rtl] [...] performance figures (bench.h)
 *   riommu report RUN.json -o OUT.html   the run file as an HTML page (report_html.h)
 *   riommu --help | help [COMMAND]       usage
 *
 * Exit status: 0 success, 1 expectations failed (mismatches), 2 usage or
 * parse errors.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "batch.h"
#include "bench.h"
#include "decode.h"
#include "default_scenario.h"
#include "calibrate.h"
#include "mutate.h"
#include "randgen.h"
#include "timing_cmp.h"
#include "replay.h"
#include "report.h"
#include "riommu/report.h"
#include "run.h"
#include "scenario.h"
#include "shrink.h"
#include "report_html.h"
#include "statsfile.h"
#include "world.h"

static void usage(FILE *o)
{
    fputs("usage: riommu COMMAND [ARGS]\n"
          "\n"
          "A verification kit for RISC-V IOMMUs (spec release 20260222): a C model of\n"
          "the IOMMU and a reference driver that programs it the way Linux does.\n"
          "\n"
          "commands:\n"
          "  run [OPTIONS] [SCENARIO...]\n"
          "             run scenario files through the reference driver on the model;\n"
          "             with no file, the built-in default scenario (bring-up, an\n"
          "             identity device, two paging domains, 4 KiB and 2 MiB pages,\n"
          "             DMA, a fault drained and decoded, unmap + invalidation, the\n"
          "             stale IOVA faulting, shutdown) and a summary\n"
          "  replay TRACE [--backends LIST]\n"
          "             replay a trace written by `riommu run --trace FILE` on the\n"
          "             lockstep engine over LIST (default model), without the driver\n"
          "             or the scenario (docs/trace.md)\n"
          "  demo       the built-in default scenario (same as `riommu run`)\n"
          "  random --seeds A-B [--backends LIST] [--profile NAME] [OPTIONS]\n"
          "             constrained-random scenarios, one per seed, with exact\n"
          "             expectations, run like `riommu run` (in lockstep with\n"
          "             --backends); `--print SEED` shows one\n"
          "  decode KIND HEX...\n"
          "             name every field of a register value (ddtp, capabilities,\n"
          "             cqcsr, ...), a device or process context, a PTE, a command\n"
          "             or a fault record\n"
          "  shrink SCENARIO [--backends LIST] [-o OUT]\n"
          "             reduce a failing scenario to a minimal one that fails the\n"
          "             same way (delta debugging), written as a scenario file\n"
          "  bench [--model] [--scaling] [--rtl] [--json] [--seconds S | --size N]\n"
          "        [--repeat K]\n"
          "             performance figures by section, with their targets: --model\n"
          "             the model's translations and commands per second, functional\n"
          "             and timed, and its memory footprint; --scaling the same as\n"
          "             working sets grow past the caches; --rtl the verilated DUT's\n"
          "             simulated cycles/s alone and in lockstep with the model (by\n"
          "             default every section this build has but --scaling)\n"
          "  mutate [--mutants LIST] [--seeds A-B] [SCENARIO|DIR...]\n"
          "             the mutation campaign: bugs switched into the RTL IOMMU, each\n"
          "             run against the corpus and random seeds on model,rtl until\n"
          "             detected; prints 'detected: K/N'\n"
          "  calibrate [--seeds A-B] [--knobs LIST] [--start KEY=V,...]\n"
          "             fit the model's timing knobs to the verilated DUT: random\n"
          "             seeds on model,rtl per candidate, the least DMA latency error\n"
          "             (docs/timing.md \"Calibrating to a design\")\n"
          "  report RUN.json -o REPORT.html\n"
          "             render the run file of `riommu run --stats RUN.json` as one\n"
          "             self-contained HTML page: summary, mismatches, statistics,\n"
          "             latency histograms and cache hit rates over time (docs/stats.md)\n"
          "  help [COMMAND]\n"
          "             this text, or a command's\n"
          "\n"
          "`riommu COMMAND --help` documents each command. The scenario language is\n"
          "documented in docs/scenarios.md.\n"
          "\n"
          "The last line of `run`, `random` and `replay` is 'mismatches: N, waived: W, skipped: S'.\n"
          "exit status: 0 no mismatches, 1 mismatches, 2 usage or parse errors.\n",
          o);
}

static void run_usage(FILE *o)
{
    fputs(
        "usage: riommu run [OPTIONS] [SCENARIO...]\n"
        "\n"
        "Runs each scenario file (or '-' for standard input) on a fresh model with\n"
        "the reference driver, checks every expectation and prints a step log, the\n"
        "decoded fault records and a summary per scenario (translations, faults by\n"
        "cause, cache hit rates, commands by opcode). Without a file it runs the\n"
        "built-in default scenario. All files are parsed before anything runs: a\n"
        "parse error prints 'file:line: message' on stderr and exits 2.\n"
        "A failed expectation prints 'file:line: expected ..., got ...'. The last\n"
        "line is 'mismatches: N, waived: W, skipped: S'.\n"
        "\n"
        "options:\n"
        "  -q, --quiet           only mismatches and one result line per scenario\n"
        "  --no-summary          no summary block\n"
        "  --ops                 print every shim operation (MMIO, publications, ...)\n"
        "                        under the step that made it\n"
        "  --trace FILE          record every operation on the world (shim, device DMA,\n"
        "                        steps, backdoor writes) with the reference's answers,\n"
        "                        one section per scenario, for `riommu replay FILE`\n"
        "                        (format: docs/trace.md)\n"
        "  -x, --stop-on-mismatch  stop a scenario at its first mismatch\n"
        "  --check               parse only: exit 0 if every scenario parses\n"
        "  --print-default       print the default scenario's text and exit\n"
        "  --backends LIST       co-simulate: run the driver in lockstep on every backend\n"
        "                        of LIST (comma-separated; the first is the reference):\n"
        "                        model, model2 (other cache geometry and timing),\n"
        "                        model:defect=NAME[+NAME], qemu (QEMU's riscv-iommu-pci),\n"
        "                        rtl (the verilated riommu_rtl_top; not first, not with\n"
        "                        qemu), rtl:mem-lat=N (its memory slave at N cycles, the\n"
        "                        model's memory knobs following); every difference is a\n"
        "                        mismatch (docs/cosim.md)\n"
        "  --report FILE.json    with --backends: write the mismatch records as JSON\n"
        "  --junit FILE.xml      with --backends: write a JUnit XML test suite\n"
        "  --waivers FILE        with --backends: waive documented differences\n"
        "  --stop-at-first       stop a scenario at its first unwaived mismatch\n"
        "  --stats FILE          write every scenario's statistics (gem5-style names,\n"
        "                        docs/stats.md) to FILE.json (the run file for `riommu\n"
        "                        report`: summary, failed expectations, statistics of\n"
        "                        every model backend, cache hit rates over time and the\n"
        "                        --report records), FILE.csv or FILE.txt (gem5 layout)\n"
        "  --timing-compare      with two or more backends: pair each DMA's latency on\n"
        "                        the reference with the other backends' (model vs rtl:\n"
        "                        the DUT's measured cycles) and print mean and p95\n"
        "                        relative error and the worst requests after the summary\n"
        "  --timing-csv FILE     --timing-compare, and every pair as a CSV row (program,\n"
        "                        device, access, iova, len, status, model IOTLB hit,\n"
        "                        both latencies, relative error) for fitting\n"
        "  --wave FILE           with rtl in --backends: write the DUT's FST waveform to\n"
        "                        FILE (several scenarios: FILE-NAME.EXT each, NAME the\n"
        "                        scenario's file name without .scn); mismatch records\n"
        "                        of rtl name its cycles and the waveform window; without\n"
        "                        --wave a failing scenario prints the command that\n"
        "                        writes one (docs/rtl-harness.md)\n"
        "  -h, --help            this text\n"
        "\n"
        "scenario language (full reference: docs/scenarios.md)\n"
        "  One statement per line; '#' starts a comment. Numbers: decimal, 0x hex,\n"
        "  0b binary, '_' separators, K/M/G/T suffixes (powers of 1024).\n"
        "  model (before the first action):\n"
        "    config caps [VALUE] [+NAME|-NAME|IGS=msi|wsi|both|PAS=N|version=N]...\n"
        "    config ddtc|pdtc|iotlb|walkc entries=N assoc=N policy=lru|fifo|random\n"
        "                                 enable=on|off lat=N slots=N\n"
        "    config timing mem_lat=N cmd_lat=N ddtp_busy=N qcsr_busy=N xlate_lat=N\n"
        "                  xlate_slots=N ptw_slots=N clock_mhz=N enable=on|off\n"
        "                  dma_txn_bytes=N dma_rd_lat=N dma_wr_lat=N mem_beat_lat=N\n"
        "                  fault_lat=N\n"
        "    config ddt modes 1LVL|2LVL|3LVL...    config ddt reset off|bare\n"
        "    config ddt fixed-ppn N    config cq|fq max-entries N|fixed-ppn N\n"
        "    config num_vectors|hpm_counters|hpm_counter_bits|rcid_bits|mcid_bits|\n"
        "           seed|fctl_reset N     config synchronous|check_pas|\n"
        "           iotval_page_offset|fctl_gxl_writable|qb_write_clears_index on|off\n"
        "  driver settings (take effect at the next init):\n"
        "    driver profile linux-6.13|mainline   driver bus pci|platform\n"
        "    driver irqs N   driver kdump on|off   driver cq|fq entries N\n"
        "    driver policy SWITCH on|off  (empty_queue_before_enable,\n"
        "      iotinval_after_ddt_update, stop_wait_on_cq_error, shutdown_to_bare,\n"
        "      mmio32, sade, generic_pt, napot_64k, overflow_safe_sync, polling)\n"
        "  driver verbs (a result other than ok is a mismatch unless an\n"
        "  `expect ERR` follows on the same or the next line):\n"
        "    init   probe DEV ID...   domain DOM   attach DEV identity|blocked|DOM\n"
        "    detach DEV   release DEV   free DOM\n"
        "    map DOM IOVA PA SIZE [r|w|rw|noexec|cache|mmio|priv...]\n"
        "    unmap DOM IOVA SIZE [nosync] [expect BYTES]   sync DOM   flush DOM\n"
        "    iova-to-phys DOM IOVA [expect PA]   process [expect N]\n"
        "    remove   shutdown   crash (drop the driver, leave the IOMMU running)\n"
        "    cmd D0 D1   cmd sync [timeout US]   cq-repair\n"
        "  raw access and backdoor reads:\n"
        "    mmio read32|read64|read REG|OFFSET [expect V [mask M]]\n"
        "    mmio write32|write64|write REG|OFFSET V\n"
        "    mem read32|read64 PA [expect V [mask M]]   mem write32|write64 PA V\n"
        "    dc DEV|ID tc|iohgatp|ta|fsc|msiptp|... [expect V [mask M]]\n"
        "    pte DEV|ID IOVA [expect V [mask M]]\n"
        "    pte DEV|ID IOVA write V [mask M]  (edit the leaf behind the driver's back)\n"
        "  device DMA (an expectation is required):\n"
        "    dma DEV|ID read|write|exec IOVA LEN [data HEX] [pid N] [priv]\n"
        "        expect ok [pa PA] [range SIZE] [data HEX] [iotlb-hit|iotlb-miss]\n"
        "      | expect fault CAUSE [recorded|unrecorded] | expect bad-request\n"
        "  expectations:\n"
        "    expect ok|EBUSY|EINVAL|ENODEV|ENOMEM|ETIMEDOUT|EIO\n"
        "    expect fault-record [cause C] [ttyp T] [device D] [pid P] [priv]\n"
        "                        [iova A] [iotval2 B]\n"
        "    expect event cq-error|fq-error|...  [value V [mask M]]\n"
        "    expect no-events   expect reg REG V [mask M]\n"
        "    expect stat NAME [==|!=|<|<=|>|>=] V\n"
        "  other: step CYCLES   settle   echo TEXT   repeat N STATEMENT\n",
        o);
}

static void demo_usage(FILE *o)
{
    fputs("usage: riommu demo\n"
          "\n"
          "Runs the built-in default scenario on the embedded model and prints a\n"
          "summary (translations, faults by cause, cache hit rates, commands by\n"
          "opcode). Kept as an alias of `riommu run` with no scenario file.\n",
          o);
}

/* ---- options of the commands that run scenarios ----------------------------------------------------- */

typedef struct cosim_args {
    const char *backends, *report, *junit, *waivers, *trace, *wave, *stats;
    const char *timing_csv; /* --timing-csv FILE (implies timing_compare) */
    bool timing_compare;
} cosim_args;

/* One of the shared options at argv[*i] (advancing *i past its argument).
 * Returns 1 when it was one, 0 when it is not, -1 after a usage message. */
static int common_option(const char *cmd, int argc, char **argv, int *i, run_options *ro,
                         cosim_args *ca)
{
    const char *a = argv[*i];
    if (!strcmp(a, "--ops")) {
        ro->ops = true;
    } else if (!strcmp(a, "-x") || !strcmp(a, "--stop-on-mismatch") ||
               !strcmp(a, "--stop-at-first")) {
        ro->stop_on_mismatch = true;
    } else if (!strcmp(a, "--timing-compare")) {
        ca->timing_compare = true;
    } else if (!strcmp(a, "--backends") || !strcmp(a, "--report") || !strcmp(a, "--junit") ||
               !strcmp(a, "--waivers") || !strcmp(a, "--trace") || !strcmp(a, "--wave") ||
               !strcmp(a, "--stats") || !strcmp(a, "--timing-csv")) {
        if (*i + 1 >= argc) {
            fprintf(stderr, "riommu %s: %s needs an argument\n", cmd, a);
            return -1;
        }
        const char *v = argv[++*i];
        if (!strcmp(a, "--backends"))
            ca->backends = v;
        else if (!strcmp(a, "--report"))
            ca->report = v;
        else if (!strcmp(a, "--junit"))
            ca->junit = v;
        else if (!strcmp(a, "--trace"))
            ca->trace = v;
        else if (!strcmp(a, "--wave"))
            ca->wave = v;
        else if (!strcmp(a, "--timing-csv")) {
            ca->timing_csv = v;
            ca->timing_compare = true;
        }
        else if (!strcmp(a, "--stats")) {
            if (!statsfile_path_ok(v)) {
                fprintf(stderr, "riommu %s: --stats FILE: '%s' must end in .json (the run file "
                                "for `riommu report`), .csv or .txt\n", cmd, v);
                return -1;
            }
            ca->stats = v;
        } else
            ca->waivers = v;
    } else {
        return 0;
    }
    return 1;
}

/* After a run with --timing-compare (timing_cmp_finish); the collector
 * is freed. */
static int timing_finish(const char *cmd, const cosim_args *ca, run_options *ro, int status)
{
    status = timing_cmp_finish(ro->tcmp, cmd, ca->timing_csv, status);
    ro->tcmp = NULL;
    return status;
}

/* Parse --backends and --waivers into ro (specs and *rules, which the
 * caller frees, must outlive it). Returns -1 when fine, else 2 after a
 * message. */
static int setup_cosim(const char *cmd, const cosim_args *ca, run_options *ro,
                       run_backend_spec *specs, riommu_waiver_rule **rules)
{
    *rules = NULL;
    if (!ca->backends && (ca->report || ca->junit || ca->waivers)) {
        fprintf(stderr, "riommu %s: --report, --junit and --waivers need --backends\n", cmd);
        return 2;
    }
    if (ca->backends) {
        char err[256];
        ro->nbackends = run_backends_parse(ca->backends, specs, RUN_MAX_BACKENDS, err, sizeof err);
        ro->backends = specs;
        if (!ro->nbackends) {
            fprintf(stderr, "riommu %s: %s\n", cmd, err);
            return 2;
        }
    }
    if (ca->timing_compare && ro->nbackends < 2) {
        fprintf(stderr, "riommu %s: --timing-compare needs a second backend in --backends (e.g. "
                        "--backends model,rtl)\n", cmd);
        return 2;
    }
    if (ca->timing_compare) {
        ro->tcmp = timing_cmp_create();
        if (!ro->tcmp) {
            fprintf(stderr, "riommu %s: out of memory\n", cmd);
            return 2;
        }
    }
    if (ca->wave && !world_has_rtl(specs, ro->nbackends)) {
        fprintf(stderr, "riommu %s: --wave FILE needs an rtl backend in --backends (e.g. "
                        "--backends model,rtl)\n", cmd);
        return 2;
    }
    if (ca->waivers) {
        enum { MAX_RULES = 256 };
        char err[256];
        *rules = calloc(MAX_RULES, sizeof **rules);
        int nr = *rules ? riommu_waivers_parse(ca->waivers, *rules, MAX_RULES, err, sizeof err)
                        : -1;
        if (nr < 0) {
            fprintf(stderr, "riommu %s: %s\n", cmd, *rules ? err : "out of memory");
            return 2;
        }
        ro->waivers = *rules;
        ro->nwaivers = (size_t)nr;
    }
    return -1;
}

/* --trace FILE: open the trace writer into ro->trace (*tf the file).
 * Returns -1 when fine or there is no --trace, else 2 after a message. */
static int trace_open(const char *cmd, const cosim_args *ca, run_options *ro, FILE **tf)
{
    *tf = NULL;
    if (!ca->trace)
        return -1;
    size_t tl = strlen(ca->trace);
    if (tl >= 4 && !strcmp(ca->trace + tl - 4, ".scn")) {
        /* `--trace` used to be a flag: never overwrite a scenario with a trace */
        fprintf(stderr, "riommu %s: --trace FILE: '%s' looks like a scenario (printing the "
                        "shim operations is --ops)\n", cmd, ca->trace);
        return 2;
    }
    *tf = fopen(ca->trace, "w");
    ro->trace = *tf ? riommu_trace_writer_create(*tf) : NULL;
    if (!ro->trace) {
        fprintf(stderr, "riommu %s: cannot write trace '%s'\n", cmd, ca->trace);
        if (*tf)
            fclose(*tf);
        *tf = NULL;
        return 2;
    }
    return -1;
}

/* Finish the trace trace_open started; 2 after a message when it is
 * incomplete, else `status`. */
static int trace_close(const char *cmd, const cosim_args *ca, run_options *ro, FILE *tf,
                       int status)
{
    if (!ro->trace)
        return status;
    bool ok = riommu_trace_writer_destroy(ro->trace);
    ro->trace = NULL;
    if (fclose(tf) != 0 || !ok) {
        fprintf(stderr, "riommu %s: the trace '%s' is incomplete (write error or an operation "
                        "a trace cannot hold)\n", cmd, ca->trace);
        return 2;
    }
    return status;
}

/* ---- riommu run ------------------------------------------------------------------------------- */

static int run_default_or_files(const char *const *files, int nfiles, run_options *ro,
                                bool quiet, bool summary, bool check_only, const cosim_args *ca)
{
    int n = nfiles ? nfiles : 1;
    scn_program **progs = calloc((size_t)n, sizeof *progs);
    if (!progs) {
        fprintf(stderr, "riommu run: out of memory\n");
        return 2;
    }
    int status = 0;
    /* Parse everything first: nothing runs if anything is malformed. */
    for (int i = 0; i < n && !status; i++) {
        scn_error err;
        if (!nfiles) {
            const char *t = default_scenario_text();
            progs[i] = scn_parse(DEFAULT_SCENARIO_NAME, t, strlen(t), &err);
            if (!progs[i]) {
                fprintf(stderr, "%s:%u: %s\n", DEFAULT_SCENARIO_NAME, err.line, err.msg);
                status = 2;
            }
            continue;
        }
        if (!strcmp(files[i], "-")) {
            size_t cap = 65536, len = 0;
            char *buf = malloc(cap);
            while (buf) {
                size_t got = fread(buf + len, 1, cap - len, stdin);
                len += got;
                if (!got)
                    break;
                if (len == cap) {
                    if (cap > SCN_MAX_FILE_BYTES)
                        break;
                    char *nb = realloc(buf, cap * 2);
                    if (!nb) {
                        free(buf);
                        buf = NULL;
                        break;
                    }
                    buf = nb;
                    cap *= 2;
                }
            }
            if (!buf) {
                fprintf(stderr, "<stdin>: out of memory\n");
                status = 2;
                continue;
            }
            progs[i] = scn_parse("<stdin>", buf, len, &err);
            free(buf);
            if (!progs[i]) {
                fprintf(stderr, "<stdin>:%u: %s\n", err.line, err.msg);
                status = 2;
            }
            continue;
        }
        progs[i] = scn_parse_file(files[i], &err);
        if (!progs[i]) {
            if (err.line)
                fprintf(stderr, "%s:%u: %s\n", files[i], err.line, err.msg);
            else
                fprintf(stderr, "%s: %s\n", files[i], err.msg);
            status = 2;
        }
    }
    if (!status && check_only) {
        for (int i = 0; i < n; i++)
            printf("%s: ok (%zu steps)\n", progs[i]->file, progs[i]->nsteps);
    } else if (!status) {
        batch_opts bo;
        memset(&bo, 0, sizeof bo);
        bo.command = "riommu run";
        bo.quiet = quiet;
        bo.summary = summary;
        bo.backends = ca->backends;
        bo.report = ca->report;
        bo.junit = ca->junit;
        bo.waivers = ca->waivers;
        bo.wave = ca->wave;
        bo.wave_each = n > 1;
        bo.stats = ca->stats;
        batch *b = batch_create(ro, &bo);
        if (!b)
            status = 2; /* batch_create said why */
        for (int i = 0; b && i < n && status != 2; i++) {
            const char *title = nfiles ? NULL
                                       : "riommu run: the built-in default scenario "
                                         "(`riommu run --print-default` shows its text)";
            run_summary sum;
            if (batch_run(b, progs[i], title, NULL, &sum) == 2)
                status = 2;
        }
        if (b && status != 2)
            status = batch_finish(b);
        batch_destroy(b);
    }
    for (int i = 0; i < n; i++)
        scn_free(progs[i]);
    free(progs);
    fflush(stdout);
    return status;
}

static int cmd_run(int argc, char **argv, bool demo)
{
    run_options ro;
    memset(&ro, 0, sizeof ro);
    bool quiet = false, summary = true, check_only = false;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) {
        fprintf(stderr, "riommu: out of memory\n");
        return 2;
    }
    int nfiles = 0, status = -1;
    bool opts_done = false;
    cosim_args ca;
    memset(&ca, 0, sizeof ca);
    for (int i = 1; i < argc && status < 0; i++) {
        const char *a = argv[i];
        if (!opts_done && a[0] == '-' && a[1]) {
            int c = demo ? 0 : common_option("run", argc, argv, &i, &ro, &ca);
            if (c < 0) {
                status = 2;
            } else if (c > 0) {
                /* taken */
            } else if (!strcmp(a, "--")) {
                opts_done = true;
            } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                if (demo)
                    demo_usage(stdout);
                else
                    run_usage(stdout);
                status = 0;
            } else if (!demo && (!strcmp(a, "-q") || !strcmp(a, "--quiet"))) {
                quiet = true;
            } else if (!demo && !strcmp(a, "--no-summary")) {
                summary = false;
            } else if (!demo && !strcmp(a, "--check")) {
                check_only = true;
            } else if (!demo && !strcmp(a, "--print-default")) {
                fputs(default_scenario_text(), stdout);
                status = 0;
            } else {
                fprintf(stderr, "riommu %s: unknown option '%s' (see riommu %s --help)\n",
                        argv[0], a, argv[0]);
                status = 2;
            }
            continue;
        }
        if (demo) {
            fprintf(stderr, "riommu demo: unexpected argument '%s'\n", a);
            status = 2;
            continue;
        }
        files[nfiles++] = a;
    }
    run_backend_spec specs[RUN_MAX_BACKENDS];
    riommu_waiver_rule *rules = NULL;
    if (status < 0)
        status = setup_cosim("run", &ca, &ro, specs, &rules);
    FILE *tf = NULL;
    if (status < 0 && !check_only)
        status = trace_open("run", &ca, &ro, &tf);
    if (status < 0)
        status = run_default_or_files(files, nfiles, &ro, quiet, summary, check_only, &ca);
    status = timing_finish("run", &ca, &ro, status);
    status = trace_close("run", &ca, &ro, tf, status);
    free(rules);
    free(files);
    return status;
}

/* ---- riommu random ------------------------------------------------------------------------------ */

static void random_usage(FILE *o)
{
    fputs(
        "usage: riommu random --seeds A-B [--backends LIST] [--profile NAME] [OPTIONS]\n"
        "       riommu random --print SEED [--backends LIST] [--profile NAME]\n"
        "       riommu random --list-defects\n"
        "\n"
        "Constrained-random co-simulation (docs/random.md). Each seed becomes a scenario\n"
        "in the language of docs/scenarios.md: driver bring-up, devices, identity,\n"
        "blocked and paging domains, maps of 4 KiB..512 GiB leaves, unmaps with and\n"
        "without invalidation, remaps, DMA inside and outside mappings with data,\n"
        "raw and illegal commands, queue wrap, fault-queue overflow, register and\n"
        "backdoor reads, teardown - with an exact expectation for every result the\n"
        "spec fixes. The text is parsed and run like a file given to `riommu run`,\n"
        "in lockstep on every backend of LIST (default: model). The same seed and\n"
        "backend kinds give the same text on every host.\n"
        "\n"
        "The generator stays inside what the backends can do: with `qemu` in LIST\n"
        "no config lines, DMA only from the device IDs the QEMU backend serves\n"
        "(0x10, 0x18, ..., 0xF8), reads and writes of at most 4 KiB without\n"
        "pid/priv/exec, PCI bus, data in guest RAM.\n"
        "\n"
        "By default one line per seed ('scenario seed-S: ... N mismatches'); a seed\n"
        "with mismatches prints them (at most 20 of each kind), then\n"
        "'reproduce: riommu random --seeds S-S --backends LIST ...'. Before the last\n"
        "line a summary names the failing seeds. The last line is\n"
        "'mismatches: N, waived: W, skipped: S', summed over the seeds.\n"
        "\n"
        "options:\n"
        "  --seeds A-B           run seeds A to B (decimal, A <= B, at most 1000000\n"
        "                        seeds; 'S' alone is S-S)\n"
        "  --backends LIST       as `riommu run --backends` (default: model)\n"
        "  --profile NAME        driver profile: mainline, linux-6.13, or random (the\n"
        "                        default: each seed picks one, half each)\n"
        "  -q, --quiet           only failing seeds, the summary and the last line\n"
        "  -v, --verbose         the full step log and summary of every seed\n"
        "  --keep DIR            write each failing seed's scenario to DIR/seed-S.scn\n"
        "                        (mismatch lines then name that file)\n"
        "  --max-failures N      stop after N failing seeds\n"
        "  --report FILE.json    every record as JSON, one case per seed\n"
        "  --junit FILE.xml      a JUnit XML suite, one <testcase> per seed\n"
        "  --waivers FILE        waive documented differences (docs/cosim.md)\n"
        "  -x, --stop-at-first   stop a seed at its first unwaived mismatch\n"
        "  --ops                 with -v: every shim operation\n"
        "  --trace FILE          write a trace (docs/trace.md), one section per seed,\n"
        "                        for `riommu replay FILE`\n"
        "  --stats FILE          every seed's statistics, as `riommu run --stats`\n"
        "  --timing-compare      pair each DMA's latency on the reference with the other\n"
        "                        backends' over all seeds (model vs rtl) and print mean\n"
        "                        and p95 relative error and the worst requests\n"
        "  --timing-csv FILE     --timing-compare, and every pair as CSV (as `run`)\n"
        "  --wave FILE           with rtl in --backends: the DUT's FST waveform; one\n"
        "                        seed: FILE; several: FILE-seed-S.EXT for each seed that\n"
        "                        has mismatch records (the others' are removed). rtl's\n"
        "                        records name its cycles and the waveform window;\n"
        "                        without --wave a failing seed prints the command that\n"
        "                        writes one (docs/rtl-harness.md)\n"
        "  --print SEED          print the seed's scenario text and exit (save it and\n"
        "                        run it with `riommu run`, or cut it down by hand)\n"
        "  --list-defects        the names of the model's test-only defects\n"
        "                        (for --backends model,model:defect=NAME)\n"
        "  -h, --help            this text\n"
        "\n"
        "exit status: 0 no mismatches, 1 mismatches, 2 usage error (bad seed range,\n"
        "unknown profile, bad backend list, ...) or a seed that could not run.\n",
        o);
}

/* A decimal number without sign or junk. */
static bool parse_seed(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* "A-B" or "S". Returns false with a message on stderr. */
static bool parse_seed_range(const char *s, uint64_t *a, uint64_t *b)
{
    const char *dash = strchr(s, '-');
    bool ok = dash ? parse_seed(s, (size_t)(dash - s), a) && parse_seed(dash + 1, strlen(dash + 1), b)
                   : parse_seed(s, strlen(s), a);
    if (!ok) {
        fprintf(stderr, "riommu random: --seeds: '%s' is not a seed range (A-B or S, decimal)\n",
                s);
        return false;
    }
    if (!dash)
        *b = *a;
    if (*a > *b) {
        fprintf(stderr, "riommu random: --seeds %s: the first seed is larger than the last\n", s);
        return false;
    }
    if (*b - *a >= 1000000u) {
        fprintf(stderr, "riommu random: --seeds %s: more than 1000000 seeds in one run\n", s);
        return false;
    }
    return true;
}

/* The generator's target for a backend list: with an rtl backend, its
 * constraints (randgen_target_rtl); with a QEMU backend, QEMU's
 * (qemu_backend.h, run_qemu_device_id_ok); else the model's. */
static void random_target(const run_backend_spec *sp, unsigned n, randgen_profile prof,
                          const char *list, uint32_t ids[256], randgen_target *t)
{
    bool qemu = false, rtl = false;
    for (unsigned i = 0; i < n; i++) {
        qemu |= sp[i].kind == RUN_BE_QEMU;
        rtl |= sp[i].kind == RUN_BE_RTL;
    }
    if (rtl) {
        randgen_target_rtl(t);
    } else if (qemu) {
        unsigned k = 0;
        for (uint32_t id = 0; id < 256; id++)
            if (run_qemu_device_id_ok(id))
                ids[k++] = id;
        randgen_target_qemu(t, ids, k);
    } else {
        randgen_target_model(t);
    }
    t->name = list;
    t->profile = prof;
}

static bool write_text(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool ok = fwrite(text, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

typedef struct random_args {
    const char *seeds, *print, *keep, *profile_arg;
    randgen_profile profile;
    bool quiet, verbose;
    uint64_t max_failures; /* 0: no limit */
} random_args;

static int random_seeds(const random_args *ra, const randgen_target *t, run_options *ro,
                        const cosim_args *ca)
{
    uint64_t first, last;
    if (!parse_seed_range(ra->seeds, &first, &last))
        return 2;
    if (ra->keep && mkdir(ra->keep, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "riommu random: --keep: cannot create '%s': %s\n", ra->keep,
                strerror(errno));
        return 2;
    }
    batch_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.command = "riommu random";
    bo.quiet = !ra->verbose;
    bo.failures_only = ra->quiet;
    bo.summary = ra->verbose;
    bo.max_lines = ra->verbose ? 0 : 20;
    bo.backends = ca->backends;
    bo.report = ca->report;
    bo.junit = ca->junit;
    bo.waivers = ca->waivers;
    bo.wave = ca->wave;
    bo.wave_each = bo.wave_failing_only = first != last;
    bo.stats = ca->stats;
    batch *b = batch_create(ro, &bo);
    if (!b)
        return 2; /* batch_create said why */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int status = 0;
    uint64_t failed = 0, steps = 0, checks = 0;
    char failing[160] = "";
    bool more = false;
    size_t flen = 0;
    size_t plen = (ra->keep ? strlen(ra->keep) : 0) + 48;
    size_t rlen = strlen(ca->backends) + (ca->waivers ? strlen(ca->waivers) : 0) + 160;
    char *pname = malloc(plen), *repro = malloc(rlen);
    for (uint64_t s = first; pname && repro; s++) {
        char *text;
        size_t len;
        if (!randgen_generate(s, t, &text, &len)) {
            fprintf(stderr, "riommu random: out of memory\n");
            status = 2;
            break;
        }
        if (ra->keep)
            snprintf(pname, plen, "%s/seed-%llu.scn", ra->keep, (unsigned long long)s);
        else
            snprintf(pname, plen, "seed-%llu", (unsigned long long)s);
        scn_error err;
        scn_program *p = scn_parse(pname, text, len, &err);
        if (!p) {
            fprintf(stderr,
                    "riommu random: seed %llu: the generated scenario does not parse: line %u: "
                    "%s (a generator bug; `riommu random --print %llu` shows the text)\n",
                    (unsigned long long)s, err.line, err.msg, (unsigned long long)s);
            free(text);
            status = 2;
            break;
        }
        snprintf(repro, rlen, "riommu random --seeds %llu-%llu --backends %s%s%s%s%s",
                 (unsigned long long)s, (unsigned long long)s, ca->backends,
                 ra->profile_arg ? " --profile " : "", ra->profile_arg ? ra->profile_arg : "",
                 ca->waivers ? " --waivers " : "", ca->waivers ? ca->waivers : "");
        char title[96];
        snprintf(title, sizeof title, "riommu random: seed %llu (profile %s)",
                 (unsigned long long)s, randgen_profile_name(randgen_seed_profile(s, t)));
        run_summary sum;
        int rc = batch_run(b, p, title, repro, &sum);
        steps += sum.steps;
        checks += sum.checks;
        if (rc == 1) {
            failed++;
            if (flen < sizeof failing - 32)
                flen += (size_t)snprintf(failing + flen, sizeof failing - flen, "%s%llu",
                                         flen ? ", " : "", (unsigned long long)s);
            else
                more = true; /* counted, not named */
            if (ra->keep) {
                if (write_text(pname, text, len))
                    printf("%s: kept\n", pname);
                else
                    fprintf(stderr, "riommu random: cannot write '%s'\n", pname);
            }
        }
        scn_free(p);
        free(text);
        if (rc == 2) {
            status = 2;
            break;
        }
        if (s == last || (ra->max_failures && failed >= ra->max_failures))
            break;
    }
    if (!pname || !repro) {
        fprintf(stderr, "riommu random: out of memory\n");
        status = 2;
    }
    free(pname);
    free(repro);
    if (status != 2) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        uint64_t n, mism, waived, skipped;
        batch_counts(b, &n, &mism, &waived, &skipped);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("%sriommu random: seeds %llu-%llu on %s, profile %s: %llu run, %llu failed%s%s%s%s, "
               "%llu steps, %llu checks, %.1f s\n",
               ra->verbose ? "\n" : "", (unsigned long long)first, (unsigned long long)last,
               ca->backends, randgen_profile_name(ra->profile), (unsigned long long)n,
               (unsigned long long)failed, failed ? " (seeds " : "", failing, more ? ", ..." : "",
               failed ? ")" : "",
               (unsigned long long)steps, (unsigned long long)checks, secs);
        status = batch_finish(b);
    }
    batch_destroy(b);
    return status;
}

static int cmd_random(int argc, char **argv)
{
    run_options ro;
    memset(&ro, 0, sizeof ro);
    cosim_args ca;
    memset(&ca, 0, sizeof ca);
    random_args ra;
    memset(&ra, 0, sizeof ra);
    ra.profile = RANDGEN_PROFILE_RANDOM;
    bool list_defects = false;
    int status = -1;
    for (int i = 1; i < argc && status < 0; i++) {
        const char *a = argv[i];
        int c = common_option("random", argc, argv, &i, &ro, &ca);
        if (c < 0) {
            status = 2;
        } else if (c > 0) {
            /* taken */
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            random_usage(stdout);
            status = 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            ra.quiet = true;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            ra.verbose = true;
        } else if (!strcmp(a, "--list-defects")) {
            list_defects = true;
        } else if (!strcmp(a, "--seeds") || !strcmp(a, "--print") || !strcmp(a, "--profile") ||
                   !strcmp(a, "--keep") || !strcmp(a, "--max-failures")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "riommu random: %s needs an argument\n", a);
                status = 2;
                continue;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--seeds")) {
                ra.seeds = v;
            } else if (!strcmp(a, "--print")) {
                ra.print = v;
            } else if (!strcmp(a, "--keep")) {
                ra.keep = v;
            } else if (!strcmp(a, "--max-failures")) {
                if (!parse_seed(v, strlen(v), &ra.max_failures) || !ra.max_failures) {
                    fprintf(stderr, "riommu random: --max-failures: '%s' is not a positive "
                                    "number\n", v);
                    status = 2;
                }
            } else if (!randgen_profile_parse(v, &ra.profile)) {
                fprintf(stderr, "riommu random: --profile: unknown profile '%s' (mainline, "
                                "linux-6.13, random)\n", v);
                status = 2;
            } else {
                ra.profile_arg = v;
            }
        } else {
            fprintf(stderr, "riommu random: %s '%s' (see riommu random --help)\n",
                    a[0] == '-' ? "unknown option" : "unexpected argument", a);
            status = 2;
        }
    }
    if (status >= 0)
        return status;
    if (list_defects) {
        for (unsigned bit = 0; bit < 32; bit++) {
            const char *nm = riommu_defect_name(1u << bit);
            if (nm)
                printf("%s\n", nm);
        }
        return 0;
    }
    if (!ra.seeds == !ra.print) {
        fprintf(stderr, "riommu random: give --seeds A-B (run) or --print SEED (see riommu "
                        "random --help)\n");
        return 2;
    }
    if (!ca.backends)
        ca.backends = "model";
    run_backend_spec specs[RUN_MAX_BACKENDS];
    riommu_waiver_rule *rules = NULL;
    status = setup_cosim("random", &ca, &ro, specs, &rules);
    uint32_t ids[256];
    randgen_target t;
    if (status < 0)
        random_target(specs, ro.nbackends, ra.profile, ca.backends, ids, &t);
    if (status < 0 && ra.print) {
        uint64_t seed;
        if (!parse_seed(ra.print, strlen(ra.print), &seed)) {
            fprintf(stderr, "riommu random: --print: '%s' is not a seed (decimal)\n", ra.print);
            status = 2;
        } else {
            char *text;
            size_t len;
            if (!randgen_generate(seed, &t, &text, &len)) {
                fprintf(stderr, "riommu random: out of memory\n");
                status = 2;
            } else {
                fwrite(text, 1, len, stdout);
                free(text);
                status = 0;
            }
        }
    }
    FILE *tf = NULL;
    if (status < 0)
        status = trace_open("random", &ca, &ro, &tf);
    if (status < 0)
        status = random_seeds(&ra, &t, &ro, &ca);
    status = timing_finish("random", &ca, &ro, status);
    status = trace_close("random", &ca, &ro, tf, status);
    free(rules);
    fflush(stdout);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "help")) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[2], "run"))
            run_usage(stdout);
        else if (!strcmp(argv[2], "replay"))
            replay_usage(stdout);
        else if (!strcmp(argv[2], "demo"))
            demo_usage(stdout);
        else if (!strcmp(argv[2], "random"))
            random_usage(stdout);
        else if (!strcmp(argv[2], "decode"))
            return decode_main(2, (char *[]){"decode", "--help", NULL});
        else if (!strcmp(argv[2], "shrink"))
            return cmd_shrink(2, (char *[]){"shrink", "--help", NULL});
        else if (!strcmp(argv[2], "bench"))
            bench_usage(stdout);
        else if (!strcmp(argv[2], "mutate"))
            mutate_usage(stdout);
        else if (!strcmp(argv[2], "calibrate"))
            calibrate_usage(stdout);
        else if (!strcmp(argv[2], "report"))
            report_html_usage(stdout);
        else {
            fprintf(stderr, "riommu help: unknown command '%s'\n", argv[2]);
            return 2;
        }
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1, false);
    if (!strcmp(cmd, "replay"))
        return replay_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "demo"))
        return cmd_run(argc - 1, argv + 1, true);
    if (!strcmp(cmd, "shrink"))
        return cmd_shrink(argc - 1, argv + 1);
    if (!strcmp(cmd, "decode"))
        return decode_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "random"))
        return cmd_random(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench"))
        return bench_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "mutate"))
        return mutate_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "calibrate"))
        return calibrate_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return report_html_main(argc - 1, argv + 1);
    fprintf(stderr, "riommu: unknown command '%s' (see riommu --help)\n", cmd);
    return 2;
}
