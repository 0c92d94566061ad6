// riommu_pkg: register offsets, cause codes, command opcodes and small helpers
// shared by the riommu RTL IOMMU (spec: iommu_registers.adoc,
// iommu_in_memory_queues.adoc, iommu_data_structures.adoc).
`ifndef RIOMMU_PKG_SVH
`define RIOMMU_PKG_SVH
// A mutant (README.md "Mutants"): `RIOMMU_MUT(n) is true when bug n is
// switched in, by riommu_rtl_top's MUTANT parameter or, in the verification
// build, the verif_mutant strap. Only in expressions of modules that take
// `cfg`.
`define RIOMMU_MUT(n) (cfg.mutant == 8'(n))
// Included (not listed) by every module file, so any file order compiles.
package riommu_pkg;

  // The implementation-defined values (riommu_rtl_top's parameter block)
  // and the mutant select, as one signal every module takes. In the
  // synthesizable build riommu_rtl_top drives it from its parameters, so
  // it is a constant and synthesis folds it away; in the verification
  // build (`define RIOMMU_RTL_VERIF) it comes from the top's verif_* input
  // straps, so one verilated model covers every configuration and mutant
  // (README.md "Configuration straps" and "Mutants").
  typedef struct packed {
    logic [7:0]  mutant;          // 0: none; n: bug n of README.md "Mutants"
    logic [63:0] caps;            // capabilities register
    logic [4:0]  ddt_modes;       // ddtp.iommu_mode values 0..4 a write may select
    logic        ddtp_reset_bare; // ddtp.iommu_mode after reset: 1 Bare, 0 Off
    logic [3:0]  cq_max_log2;     // largest cqb.LOG2SZ-1
    logic [3:0]  fq_max_log2;     // largest fqb.LOG2SZ-1
    logic [4:0]  num_vec;         // interrupt vectors (1..NUM_VEC)
    logic [43:0] ddtp_fixed_ppn;  // nonzero: ddtp.PPN reads this, writes ignored
    logic [43:0] cq_fixed_ppn;    // nonzero: cqb.PPN likewise
    logic [43:0] fq_fixed_ppn;    // nonzero: fqb.PPN likewise
  } cfg_t;

  // Register offsets (iommu_registers.adoc, "Register layout").
  localparam logic [11:0] R_CAPS      = 12'h000;
  localparam logic [11:0] R_FCTL      = 12'h008;
  localparam logic [11:0] R_DDTP      = 12'h010;
  localparam logic [11:0] R_CQB       = 12'h018;
  localparam logic [11:0] R_CQH       = 12'h020;  // cqt at 0x024
  localparam logic [11:0] R_FQB       = 12'h028;
  localparam logic [11:0] R_FQH       = 12'h030;  // fqt at 0x034
  localparam logic [11:0] R_CQCSR     = 12'h048;  // fqcsr at 0x04c
  localparam logic [11:0] R_PQCSR     = 12'h050;  // ipsr at 0x054
  localparam logic [11:0] R_ICVEC     = 12'h2f8;
  localparam logic [11:0] R_MSI_CFG   = 12'h300;

  // ddtp.iommu_mode encodings.
  localparam logic [3:0] DDTP_OFF  = 4'd0;
  localparam logic [3:0] DDTP_BARE = 4'd1;
  localparam logic [3:0] DDTP_1LVL = 4'd2;
  localparam logic [3:0] DDTP_2LVL = 4'd3;
  localparam logic [3:0] DDTP_3LVL = 4'd4;

  // iosatp.MODE encodings (SXL = 0).
  localparam logic [3:0] SATP_BARE = 4'd0;
  localparam logic [3:0] SATP_SV39 = 4'd8;
  localparam logic [3:0] SATP_SV48 = 4'd9;
  localparam logic [3:0] SATP_SV57 = 4'd10;

  // Fault causes (iommu_in_memory_queues.adoc, "Fault/Event-Queue").
  localparam logic [11:0] C_INSN_ACCESS = 12'd1;
  localparam logic [11:0] C_LOAD_ACCESS = 12'd5;
  localparam logic [11:0] C_STORE_ACCESS = 12'd7;
  localparam logic [11:0] C_INSN_PAGE   = 12'd12;
  localparam logic [11:0] C_LOAD_PAGE   = 12'd13;
  localparam logic [11:0] C_STORE_PAGE  = 12'd15;
  localparam logic [11:0] C_ALL_DISALLOWED = 12'd256;
  localparam logic [11:0] C_DDT_LOAD_FAULT = 12'd257;
  localparam logic [11:0] C_DDT_INVALID    = 12'd258;
  localparam logic [11:0] C_DDT_MISCONFIG  = 12'd259;
  localparam logic [11:0] C_TTYP_DISALLOWED = 12'd260;
  localparam logic [11:0] C_MSI_WR_FAULT   = 12'd273;

  // Transaction types in fault records.
  localparam logic [5:0] TTYP_NONE     = 6'd0;
  localparam logic [5:0] TTYP_UT_EXEC  = 6'd1;
  localparam logic [5:0] TTYP_UT_READ  = 6'd2;
  localparam logic [5:0] TTYP_UT_WRITE = 6'd3;

  // Command opcodes (iommu_in_memory_queues.adoc, "Command-Queue").
  localparam logic [6:0] OP_IOTINVAL = 7'd1;
  localparam logic [6:0] OP_IOFENCE  = 7'd2;
  localparam logic [6:0] OP_IODIR    = 7'd3;
  localparam logic [6:0] OP_ATS      = 7'd4;

  // Requests from the command queue to the translation engine (see
  // riommu_xlate): each is acknowledged only when no translation is in
  // progress, so an invalidation never races a fill and a fence orders all
  // earlier device traffic.
  localparam logic [1:0] SYNC_FENCE   = 2'd0;
  localparam logic [1:0] SYNC_INV_VMA = 2'd1;
  localparam logic [1:0] SYNC_INV_DDT = 2'd2;

  // Memory-port client numbers (also the AXI ID used on m_mem).
  localparam int MC_DDT = 0;
  localparam int MC_PTW = 1;
  localparam int MC_DEV = 2;
  localparam int MC_CQ  = 3;
  localparam int MC_FQ  = 4;
  localparam int MC_MSI = 5;
  localparam int MC_N   = 6;

  // The device-context fields the translation needs, as cached in the DDTC
  // (only valid, well-formed contexts are cached).
  typedef struct packed {
    logic        dtf;       // tc.DTF: suppress translation-fault records
    logic        pdtv;      // tc.PDTV (only pdtp.MODE Bare is accepted)
    logic        sade;      // tc.SADE: hardware A/D updates
    logic        sbe;       // tc.SBE: big-endian page tables
    logic [19:0] pscid;     // ta.PSCID
    logic [3:0]  fsc_mode;  // fsc.MODE (iosatp when PDTV = 0)
    logic [43:0] fsc_ppn;   // fsc.PPN
  } dc_t;

  // An IOTLB entry: one first-stage leaf (superpage level lvl: 0 = 4 KiB).
  typedef struct packed {
    logic [19:0] pscid;
    logic        g;
    logic [44:0] vpn;
    logic [2:0]  lvl;
    logic [43:0] ppn;
    logic        r, w, x, u, d;
  } tlbe_t;

  // Is a physical address below 2^PAS (impl-defined choice 13)?
  function automatic logic pas_ok(input logic [55:0] a, input int pas);
    return (pas >= 56) ? 1'b1 : ((a >> pas) == 56'd0);
  endfunction

  // Byte-reverse a doubleword (fctl.BE / DC.tc.SBE big-endian structures).
  function automatic logic [63:0] bswap64(input logic [63:0] d);
    logic [63:0] r;
    for (int i = 0; i < 8; i++) r[i*8 +: 8] = d[(7-i)*8 +: 8];
    return r;
  endfunction

  function automatic logic [31:0] bswap32(input logic [31:0] d);
    return {d[7:0], d[15:8], d[23:16], d[31:24]};
  endfunction

endpackage
`endif  // RIOMMU_PKG_SVH
