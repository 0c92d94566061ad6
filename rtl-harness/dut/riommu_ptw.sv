`include "riommu_pkg.svh"
// riommu_ptw: first-stage page-table walk for Sv39/Sv48/Sv57
// (iommu_data_structures.adoc, "Two-Stage Address Translation" with a Bare
// second stage; the walk is the Privileged ISA's, with SUM = 0 because no
// process context supplies it).
//
// The caller has already checked that va is canonical. done pulses with
// cause = 0 and leaf valid, or a page fault (12/13/15) or access fault
// (1/5/7: bus error, or a PTE address at or above 2^PAS). Svnapot 64 KiB
// pages are supported; Svpbmt and Svrsw60t59b per capabilities.
//
// A and D: with capabilities.AMO_HWAD and DC.tc.SADE, a leaf with A = 0 (or a
// write to a leaf with D = 0) is written back with the bits set; the AXI port
// has no atomics, so this is a read-modify-write that relies on nothing
// else writing the PTE in between (impl-defined gap, see README). Otherwise
// such a leaf is a page fault.
module riommu_ptw
  import riommu_pkg::*;
(
  input  logic        clk,
  input  logic        rst_n,
  // verilator lint_off UNUSEDSIGNAL
  input  cfg_t cfg,  // riommu_pkg::cfg_t: parameters and mutant select
  // verilator lint_on UNUSEDSIGNAL
  input  logic        start,
  input  logic [3:0]  mode,
  input  logic [43:0] root_ppn,
  input  logic [63:0] va,
  input  logic        wr,
  input  logic        ex,
  input  logic        priv,
  input  logic        sbe,
  input  logic        sade,
  output logic        done,
  output logic [11:0] cause,
  output tlbe_t       leaf,
  // memory client
  output logic        mreq,
  output logic        mwe,
  output logic [55:0] maddr,
  output logic [63:0] mwdata,
  input  logic        mdone,
  input  logic [63:0] mrdata,
  input  logic [1:0]  mresp
);
  int PAS;
  assign PAS = int'(cfg.caps[37:32]);
  logic C_RSW;
  assign C_RSW = cfg.caps[14];
  logic C_PBMT;
  assign C_PBMT = cfg.caps[15];
  logic C_HWAD;
  assign C_HWAD = cfg.caps[24];

  typedef enum logic [1:0] {S_IDLE, S_RD, S_WR} state_t;
  state_t state;
  logic [2:0]  lvl;
  logic [55:0] a;          // current table base
  logic [63:0] va_q;
  logic        wr_q, ex_q, priv_q, sbe_q, sade_q, g_q;
  logic [63:0] pte_new;    // PTE with A/D set, for the write-back

  logic [8:0]  idx;
  assign idx   = va_q[12 + 9 * int'(lvl) +: 9];
  assign maddr = a + {44'd0, idx, 3'b000};
  assign mreq  = (state == S_RD || state == S_WR) && pas_ok(maddr, PAS);
  assign mwe   = (state == S_WR);
  assign mwdata = sbe_q ? bswap64(pte_new) : pte_new;

  logic [63:0] pte;
  assign pte = sbe_q ? bswap64(mrdata) : mrdata;

  logic [11:0] pf, af;
  // mutant 7: a store page fault is reported as a load page fault (13, not 15)
  assign pf = ex_q ? C_INSN_PAGE : wr_q ? (`RIOMMU_MUT(7) ? C_LOAD_PAGE : C_STORE_PAGE) : C_LOAD_PAGE;
  assign af = ex_q ? C_INSN_ACCESS : wr_q ? C_STORE_ACCESS : C_LOAD_ACCESS;

  // Classify the PTE just read.
  logic v, r, w, x, u, g, ac, di, is_leaf, rsvd, nl_bad, perm_bad, misal;
  assign {di, ac, g, u, x, w, r, v} = pte[7:0];
  assign is_leaf = r | x;
  // Svnapot (mandatory, registers "capabilities"): N only on a 4 KiB leaf
  // with PPN[3:0] = 1000b (64 KiB); the 4 KiB sub-page is what gets cached.
  assign rsvd = (C_RSW ? (pte[58:54] != 5'd0) : (pte[60:54] != 7'd0)) ||
                (pte[63] && (lvl != 3'd0 || pte[13:10] != 4'b1000)) ||
                (C_PBMT ? (pte[62:61] == 2'b11) : (pte[62:61] != 2'b00));
  assign nl_bad = !is_leaf && (u || ac || di || pte[63] || pte[62:61] != 2'b00);
  assign perm_bad = (ex_q ? !x : wr_q ? !w : !r) || (priv_q ? u : !u);
  assign misal = (lvl != 3'd0) &&
                 ((pte[53:10] & 44'((45'd1 << (9 * int'(lvl))) - 45'd1)) != 44'd0);

  logic need_ad;
  assign need_ad = !ac || (wr_q && !di);

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      state <= S_IDLE;
      lvl <= '0; a <= '0; va_q <= '0;
      {wr_q, ex_q, priv_q, sbe_q, sade_q, g_q} <= '0;
      pte_new <= '0;
      done <= 1'b0; cause <= '0; leaf <= '0;
    end else begin
      done <= 1'b0;
      case (state)
        S_IDLE: if (start) begin
          va_q <= va; wr_q <= wr; ex_q <= ex; priv_q <= priv; sbe_q <= sbe; sade_q <= sade;
          g_q  <= 1'b0;
          a    <= {root_ppn, 12'd0};
          lvl  <= (mode == SATP_SV57) ? 3'd4 : (mode == SATP_SV48) ? 3'd3 : 3'd2;
          state <= S_RD;
        end
        S_RD, S_WR: begin
          if (!pas_ok(maddr, PAS)) begin
            done <= 1'b1; cause <= af; state <= S_IDLE;
          end else if (mdone && state == S_WR) begin
            done  <= 1'b1;
            cause <= (mresp != 2'b00) ? af : 12'd0;
            leaf.d <= 1'b1 & (pte_new[7]);
            state <= S_IDLE;
          end else if (mdone) begin
            if (mresp != 2'b00) begin
              done <= 1'b1; cause <= af; state <= S_IDLE;
            end else if (!v || (w && !r) || rsvd || nl_bad) begin
              done <= 1'b1; cause <= pf; state <= S_IDLE;
            end else if (!is_leaf) begin
              if (lvl == 3'd0) begin
                done <= 1'b1; cause <= pf; state <= S_IDLE;
              end else begin
                a   <= {pte[53:10], 12'd0};
                lvl <= lvl - 3'd1;
                g_q <= g_q | g;
              end
            end else if (perm_bad || (misal && !`RIOMMU_MUT(6))) begin  // mutant 6: no misaligned-superpage check
              done <= 1'b1; cause <= pf; state <= S_IDLE;
            end else begin
              leaf.pscid <= '0;
              leaf.g     <= g_q | g;
              leaf.vpn   <= va_q[56:12];
              leaf.lvl   <= lvl;
              leaf.ppn   <= pte[63] ? {pte[53:14], va_q[15:12]} : pte[53:10];
              leaf.r <= r; leaf.w <= w; leaf.x <= x; leaf.u <= u; leaf.d <= di;
              if (need_ad && C_HWAD && sade_q) begin
                // mutant 8: the A/D update sets A but never D
                pte_new <= pte | 64'h40 | ((wr_q && !`RIOMMU_MUT(8)) ? 64'h80 : 64'h0);
                state   <= S_WR;
              end else if (need_ad) begin
                done <= 1'b1; cause <= pf; state <= S_IDLE;
              end else begin
                done <= 1'b1; cause <= 12'd0; state <= S_IDLE;
              end
            end
          end
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
