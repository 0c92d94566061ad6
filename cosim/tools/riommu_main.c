/*
 * riommu_main.c - the `riommu` command-line tool: argument handling and
 * dispatch only.
 *
 *   riommu run [OPTIONS] [SCENARIO...]   scenarios through the reference driver on the model
 *   riommu replay TRACE [OPTIONS]        a trace of `run --trace FILE` on any backends
 *   riommu demo                          the built-in default scenario (alias of `run`)
 *   riommu decode KIND HEX...            name every field of a value
 *   riommu --help | help [COMMAND]       usage
 *
 * Exit status: 0 success, 1 expectations failed (mismatches), 2 usage or
 * parse errors.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "decode.h"
#include "default_scenario.h"
#include "replay.h"
#include "report.h"
#include "riommu/report.h"
#include "run.h"
#include "scenario.h"

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
          "  decode KIND HEX...\n"
          "             name every field of a register value (ddtp, capabilities,\n"
          "             cqcsr, ...), a device or process context, a PTE, a command\n"
          "             or a fault record\n"
          "  help [COMMAND]\n"
          "             this text, or a command's\n"
          "\n"
          "`riommu COMMAND --help` documents each command. The scenario language is\n"
          "documented in docs/scenarios.md.\n"
          "\n"
          "The last line of `run` and `replay` is 'mismatches: N, waived: W, skipped: S'.\n"
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
        "                        model:defect=NAME[+NAME], qemu; every difference is\n"
        "                        a mismatch (docs/cosim.md)\n"
        "  --report FILE.json    with --backends: write the mismatch records as JSON\n"
        "  --junit FILE.xml      with --backends: write a JUnit XML test suite\n"
        "  --waivers FILE        with --backends: waive documented differences\n"
        "  --stop-at-first       stop a scenario at its first unwaived mismatch\n"
        "  -h, --help            this text\n"
        "\n"
        "scenario language (full reference: docs/scenarios.md)\n"
        "  One statement per line; '#' starts a comment. Numbers: decimal, 0x hex,\n"
        "  0b binary, '_' separators, K/M/G/T suffixes (powers of 1024).\n"
        "  model (before the first action):\n"
        "    config caps [VALUE] [+NAME|-NAME|IGS=msi|wsi|both|PAS=N|version=N]...\n"
        "    config ddtc|pdtc|iotlb|walkc entries=N assoc=N policy=lru|fifo|random\n"
        "                                 enable=on|off lat=N\n"
        "    config timing mem_lat=N cmd_lat=N ddtp_busy=N qcsr_busy=N xlate_lat=N\n"
        "    config ddt modes 1LVL|2LVL|3LVL...    config ddt reset off|bare\n"
        "    config ddt fixed-ppn N    config cq|fq max-entries N|fixed-ppn N\n"
        "    config num_vectors|hpm_counters|hpm_counter_bits|rcid_bits|mcid_bits|\n"
        "           seed|fctl_reset N     config synchronous|check_pas|\n"
        "           iotval_page_offset|fctl_gxl_writable on|off\n"
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

/* ---- co-simulated runs: one report case per scenario ------------------------------------ */

typedef struct cosim_out {
    const char *list;          /* --backends as given */
    const char *waivers;       /* --waivers file or NULL */
    cases cs;
} cosim_out;

static void cosim_done(void *ctx, const scn_program *p, const run_cosim_result *res)
{
    cosim_out *co = ctx;
    size_t rl = strlen(co->list) + strlen(p->file) + (co->waivers ? strlen(co->waivers) : 0) + 64;
    char *repro = malloc(rl);
    if (repro)
        snprintf(repro, rl, "riommu run --backends %s%s%s %s", co->list,
                 co->waivers ? " --waivers " : "", co->waivers ? co->waivers : "", p->file);
    cases_add(&co->cs, p->file, co->list, repro, res->c, res->skipped, res->note);
    free(repro);
}

typedef struct cosim_args {
    const char *backends, *report, *junit, *waivers, *trace;
} cosim_args;

static int run_default_or_files(const char *const *files, int nfiles, run_options *ro,
                                bool quiet, bool summary, bool check_only, const cosim_args *ca)
{
    cosim_out co;
    memset(&co, 0, sizeof co);
    co.list = ca->backends;
    co.waivers = ca->waivers;
    cases_init(&co.cs, ro->backends, ro->nbackends);
    if (ro->nbackends) {
        ro->cosim_done = cosim_done;
        ro->cosim_ctx = &co;
    }
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
        uint64_t mism = 0, waived = 0, skipped = 0;
        report_text rt;
        memset(&rt, 0, sizeof rt);
        rt.out = stdout;
        rt.quiet = quiet;
        rt.summary = summary;
        for (int i = 0; i < n && status != 2; i++) {
            rt.title = nfiles ? NULL
                              : "riommu run: the built-in default scenario "
                                "(`riommu run --print-default` shows its text)";
            if (i && !quiet)
                fputc('\n', stdout);
            run_sink sink = report_text_sink(&rt);
            run_summary sum;
            char err[256];
            cases_start(&co.cs);
            if (!run_program(progs[i], ro, &sink, &sum, err, sizeof err)) {
                fflush(stdout);
                fprintf(stderr, "%s: cannot run: %s\n", progs[i]->file, err);
                status = 2;
                break;
            }
            mism += sum.mismatches;
            waived += sum.waived;
            skipped += sum.skipped;
        }
        report_text_free(&rt);
        if (co.cs.oom) {
            fprintf(stderr, "riommu run: out of memory\n");
            status = 2;
        }
        if (status != 2 && ca->report &&
            !cases_write(&co.cs, ca->report, "report", "riommu run", false, "riommu run"))
            status = 2;
        if (status != 2 && ca->junit &&
            !cases_write(&co.cs, ca->junit, "JUnit file", "riommu run", true, "riommu run"))
            status = 2;
        if (status != 2) {
            if (!quiet)
                fputc('\n', stdout);
            report_final_line(stdout, mism, waived, skipped);
            status = mism ? 1 : 0;
        }
    }
    for (int i = 0; i < n; i++)
        scn_free(progs[i]);
    free(progs);
    cases_free(&co.cs);
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
            if (!strcmp(a, "--")) {
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
            } else if (!demo && !strcmp(a, "--ops")) {
                ro.ops = true;
            } else if (!demo && (!strcmp(a, "-x") || !strcmp(a, "--stop-on-mismatch"))) {
                ro.stop_on_mismatch = true;
            } else if (!demo && (!strcmp(a, "--backends") || !strcmp(a, "--report") ||
                                 !strcmp(a, "--junit") || !strcmp(a, "--waivers") ||
                                 !strcmp(a, "--trace"))) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "riommu run: %s needs an argument\n", a);
                    status = 2;
                    continue;
                }
                const char *v = argv[++i];
                if (!strcmp(a, "--backends"))
                    ca.backends = v;
                else if (!strcmp(a, "--report"))
                    ca.report = v;
                else if (!strcmp(a, "--junit"))
                    ca.junit = v;
                else if (!strcmp(a, "--trace"))
                    ca.trace = v;
                else
                    ca.waivers = v;
            } else if (!demo && !strcmp(a, "--stop-at-first")) {
                ro.stop_on_mismatch = true;
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
    if (status < 0 && !ca.backends && (ca.report || ca.junit || ca.waivers)) {
        fprintf(stderr, "riommu run: --report, --junit and --waivers need --backends\n");
        status = 2;
    }
    if (status < 0 && ca.backends) {
        char err[256];
        ro.nbackends = run_backends_parse(ca.backends, specs, RUN_MAX_BACKENDS, err, sizeof err);
        ro.backends = specs;
        if (!ro.nbackends) {
            fprintf(stderr, "riommu run: %s\n", err);
            status = 2;
        }
    }
    if (status < 0 && ca.waivers) {
        enum { MAX_RULES = 256 };
        char err[256];
        rules = calloc(MAX_RULES, sizeof *rules);
        int nr = rules ? riommu_waivers_parse(ca.waivers, rules, MAX_RULES, err, sizeof err) : -1;
        if (nr < 0) {
            fprintf(stderr, "riommu run: %s\n", rules ? err : "out of memory");
            status = 2;
        } else {
            ro.waivers = rules;
            ro.nwaivers = (size_t)nr;
        }
    }
    FILE *tf = NULL;
    size_t tl = ca.trace ? strlen(ca.trace) : 0;
    if (status < 0 && tl >= 4 && !strcmp(ca.trace + tl - 4, ".scn")) {
        /* `--trace` used to be a flag: never overwrite a scenario with a trace */
        fprintf(stderr, "riommu run: --trace FILE: '%s' looks like a scenario (printing the "
                        "shim operations is --ops)\n", ca.trace);
        status = 2;
    }
    if (status < 0 && ca.trace && !check_only) {
        tf = fopen(ca.trace, "w");
        ro.trace = tf ? riommu_trace_writer_create(tf) : NULL;
        if (!ro.trace) {
            fprintf(stderr, "riommu run: cannot write trace '%s'\n", ca.trace);
            status = 2;
        }
    }
    if (status < 0)
        status = run_default_or_files(files, nfiles, &ro, quiet, summary, check_only, &ca);
    if (ro.trace) {
        bool ok = riommu_trace_writer_destroy(ro.trace);
        if (fclose(tf) != 0 || !ok) {
            fprintf(stderr, "riommu run: the trace '%s' is incomplete (write error or "
                            "an operation a trace cannot hold)\n", ca.trace);
            status = 2;
        }
        tf = NULL;
    }
    if (tf)
        fclose(tf);
    free(rules);
    free(files);
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
        else if (!strcmp(argv[2], "decode"))
            return decode_main(2, (char *[]){"decode", "--help", NULL});
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
    if (!strcmp(cmd, "decode"))
        return decode_main(argc - 1, argv + 1);
    fprintf(stderr, "riommu: unknown command '%s' (see riommu --help)\n", cmd);
    return 2;
}
