`include "riommu_pkg.svh"
// riommu_ddt: locate a device context (iommu_data_structures.adoc, "Process
// to locate the Device-context") and apply the configuration checks of
// "Device-context configuration checks" that do not need a second stage or a
// PDT. Base (32-byte) or extended (64-byte) format per
// capabilities.MSI_FLAT.
//
// start with did / mode / root: done pulses with cause = 0 and dc valid, or
// cause 257 (load access fault, also an address at or above 2^PAS), 258 (not
// valid) or 259 (misconfigured). Features this IOMMU does not implement are
// treated as misconfigured when a context enables them: a non-Bare iohgatp,
// a non-Bare pdtp, msiptp not Off, EN_ATS/EN_PRI/T2GPA/PRPR.
module riommu_ddt
  import riommu_pkg::*;
(
  input  logic        clk,
  input  logic        rst_n,
  // verilator lint_off UNUSEDSIGNAL
  input  cfg_t cfg,  // riommu_pkg::cfg_t: parameters and mutant select
  // verilator lint_on UNUSEDSIGNAL
  input  logic        start,
  input  logic [23:0] did,
  input  logic [3:0]  mode,      // ddtp.iommu_mode (1LVL..3LVL)
  input  logic [43:0] root_ppn,
  input  logic        be,        // fctl.BE
  output logic        done,
  output logic [11:0] cause,
  output dc_t         dc,
  // memory client
  output logic        mreq,
  output logic [55:0] maddr,
  input  logic        mdone,
  input  logic [63:0] mrdata,
  input  logic [1:0]  mresp
);
  logic EXT;  // MSI_FLAT: extended format
  assign EXT = cfg.caps[22];
  int PAS;
  assign PAS = int'(cfg.caps[37:32]);
  logic C_ATS;
  assign C_ATS = cfg.caps[25];
  logic C_T2GPA;
  assign C_T2GPA = cfg.caps[26];
  logic C_END;
  assign C_END = cfg.caps[27];
  logic C_SV39;
  assign C_SV39 = cfg.caps[9];
  logic C_SV48;
  assign C_SV48 = cfg.caps[10];
  logic C_SV57;
  assign C_SV57 = cfg.caps[11];
  logic C_HWAD;
  assign C_HWAD = cfg.caps[24];
  logic C_QOS;
  assign C_QOS = cfg.caps[41];

  typedef enum logic [1:0] {S_IDLE, S_DDTE, S_DC, S_CHECK} state_t;
  state_t state;
  logic [1:0]  lvl;              // current DDT level index i
  logic [55:0] base;             // table or DC base address
  logic [2:0]  dwi;              // DC doubleword being read
  logic [7:0][63:0] dcw;         // DC doublewords
  logic [23:0] did_q;
  logic        be_q;

  // DDI[i] per format.
  function automatic logic [8:0] ddi(input logic [23:0] d, input logic [1:0] i);
    if (EXT) return (i == 2'd0) ? {3'd0, d[5:0]} : (i == 2'd1) ? d[14:6] : d[23:15];
    else     return (i == 2'd0) ? {2'd0, d[6:0]} : (i == 2'd1) ? d[15:7] : {1'b0, d[23:16]};
  endfunction

  logic [63:0] rd;
  assign rd = be_q ? bswap64(mrdata) : mrdata;

  logic [55:0] off;
  // mutant 5: a non-leaf DDT level is indexed with the DDI of the level below
  assign off   = (state == S_DDTE) ? {44'd0, ddi(did_q, `RIOMMU_MUT(5) ? lvl - 2'd1 : lvl), 3'b000}
               : ({47'd0, ddi(did_q, 2'd0)} << (EXT ? 6 : 5)) + {50'd0, dwi, 3'b000};
  assign maddr = base + off;
  assign mreq  = (state == S_DDTE || state == S_DC) && !done_pending;

  logic done_pending;  // an address fault found without a memory access
  assign done_pending = !pas_ok(maddr, PAS);

  // Configuration checks on the fetched DC.
  logic [11:0] chk;
  always_comb begin : checks
    /* verilator lint_off UNUSEDSIGNAL */  // copies of the DC words; only checked bits read
    logic [63:0] tc, gat, ta, fsc;
    /* verilator lint_on UNUSEDSIGNAL */
    logic bad;
    tc = dcw[0]; gat = dcw[1]; ta = dcw[2]; fsc = dcw[3];
    bad = 1'b0;
    if (tc[23:12] != 12'd0 || tc[63:32] != 32'd0) bad = 1'b1;
    if (!C_ATS && (tc[1] || tc[2])) bad = 1'b1;           // EN_ATS, EN_PRI
    if (!tc[1] && (tc[3] || tc[2])) bad = 1'b1;          // T2GPA/EN_PRI need EN_ATS
    if (!tc[2] && tc[6]) bad = 1'b1;                     // PRPR needs EN_PRI
    if (!C_T2GPA && tc[3]) bad = 1'b1;
    if (tc[1] || tc[2] || tc[3]) bad = 1'b1;             // ATS not implemented
    if (tc[5]) begin                                     // PDTV
      if (fsc[63:60] != 4'd0) bad = 1'b1;                // only pdtp Bare
    end else begin
      if (tc[11]) bad = 1'b1;                            // SXL must equal fctl.GXL (0)
      case (fsc[63:60])
        SATP_BARE: ;
        SATP_SV39: if (!C_SV39) bad = 1'b1;
        SATP_SV48: if (!C_SV48) bad = 1'b1;
        SATP_SV57: if (!C_SV57) bad = 1'b1;
        default:   bad = 1'b1;
      endcase
      if (tc[9]) bad = 1'b1;                             // DPE needs PDTV
    end
    if (fsc[59:44] != 16'd0) bad = 1'b1;
    if (gat[63:60] != 4'd0) bad = 1'b1;                  // second stage not implemented
    if (ta[11:0] != 12'd0 || ta[39:32] != 8'd0) bad = 1'b1;
    if (!C_QOS && ta[63:40] != 24'd0) bad = 1'b1;
    if (!C_HWAD && (tc[8] || tc[7])) bad = 1'b1;         // SADE, GADE
    if (!C_END && (tc[10] != be_q)) bad = 1'b1;
    if (EXT) begin
      if (dcw[4][63:60] != 4'd0) bad = 1'b1;             // msiptp Off only
      if (dcw[4][59:44] != 16'd0) bad = 1'b1;
      if (dcw[5][63:52] != 12'd0 || dcw[6][63:52] != 12'd0 || dcw[7] != 64'd0) bad = 1'b1;
    end
    if (!tc[0])   chk = C_DDT_INVALID;
    else if (bad) chk = C_DDT_MISCONFIG;
    else          chk = 12'd0;
  end

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      state <= S_IDLE;
      lvl   <= '0;
      base  <= '0;
      dwi   <= '0;
      dcw   <= '0;
      did_q <= '0;
      be_q  <= 1'b0;
      done  <= 1'b0;
      cause <= '0;
      dc    <= '0;
    end else begin
      done <= 1'b0;
      case (state)
        S_IDLE: if (start) begin
          did_q <= did;
          be_q  <= be;
          base  <= {root_ppn, 12'd0};
          dwi   <= '0;
          dcw   <= '0;
          lvl   <= (mode == DDTP_3LVL) ? 2'd2 : (mode == DDTP_2LVL) ? 2'd1 : 2'd0;
          state <= (mode == DDTP_1LVL) ? S_DC : S_DDTE;
        end
        S_DDTE: begin
          if (done_pending) begin
            done <= 1'b1; cause <= C_DDT_LOAD_FAULT; state <= S_IDLE;
          end else if (mdone) begin
            if (mresp != 2'b00) begin
              done <= 1'b1; cause <= C_DDT_LOAD_FAULT; state <= S_IDLE;
            end else if (!rd[0]) begin
              done <= 1'b1; cause <= C_DDT_INVALID; state <= S_IDLE;
            end else if (rd[9:1] != 9'd0 || rd[63:54] != 10'd0) begin
              done <= 1'b1; cause <= C_DDT_MISCONFIG; state <= S_IDLE;
            end else begin
              base <= {rd[53:10], 12'd0};
              lvl  <= lvl - 2'd1;
              if (lvl == 2'd1) state <= S_DC;
            end
          end
        end
        S_DC: begin
          if (done_pending) begin
            done <= 1'b1; cause <= C_DDT_LOAD_FAULT; state <= S_IDLE;
          end else if (mdone) begin
            if (mresp != 2'b00) begin
              done <= 1'b1; cause <= C_DDT_LOAD_FAULT; state <= S_IDLE;
            end else begin
              dcw[dwi] <= rd;
              dwi <= dwi + 3'd1;
              if (dwi == (EXT ? 3'd7 : 3'd3)) state <= S_CHECK;  // 8 or 4 doublewords
            end
          end
        end
        S_CHECK: begin
          done  <= 1'b1;
          cause <= chk;
          dc.dtf      <= dcw[0][4];
          dc.pdtv     <= dcw[0][5];
          dc.sade     <= dcw[0][8];
          dc.sbe      <= dcw[0][10];
          dc.pscid    <= dcw[2][31:12];
          dc.fsc_mode <= dcw[3][63:60];
          dc.fsc_ppn  <= dcw[3][43:0];
          state <= S_IDLE;
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
