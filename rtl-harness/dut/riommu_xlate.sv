`include "riommu_pkg.svh"
// riommu_xlate: the translation engine (iommu_data_structures.adoc, "Process
// to translate an IOVA", steps 1-8, 10-13, 17 with a Bare second stage, 20).
//
// One request at a time, in arrival order, from riommu_dev_port:
//   malformed -> DECERR; ddtp Off -> 256; ddtp Bare -> pass-through;
//   device_id wider than the DDT mode -> 260; DDTC lookup or DDT walk
//   (257/258/259); process_id with PDTV = 0 -> 260; fsc Bare (or PDTV with
//   pdtp Bare) -> pass-through; otherwise canonical check, IOTLB lookup or
//   first-stage walk, 2^PAS check; then the access is forwarded on the memory
//   port with user[0] = 1 and its response relayed.
// Faults answer SLVERR with the cause and are recorded in the fault queue,
// except those the cause table marks "not reported" when DC.tc.DTF = 1.
//
// Command-queue synchronisation (sy_*): invalidations and fences are
// performed only between requests, so no walk in progress can refill an
// entry after its invalidation and a fence orders all earlier traffic.
// An IOTLB hit whose permissions deny the access re-walks (impl-defined 12).
module riommu_xlate
  import riommu_pkg::*;
#(
  parameter int IOTLB_ENTRIES = 16,
  parameter int DDTC_ENTRIES  = 8
) (
  input  logic        clk,
  input  logic        rst_n,
  // verilator lint_off UNUSEDSIGNAL
  input  cfg_t cfg,  // riommu_pkg::cfg_t: parameters and mutant select
  // verilator lint_on UNUSEDSIGNAL
  // configuration
  input  logic [3:0]  ddtp_mode,
  input  logic [43:0] ddtp_ppn,
  input  logic        fctl_be,
  // request from the device port
  input  logic        rq_valid,
  output logic        rq_ready,
  input  logic        rq_bad,
  input  logic        rq_wr,
  input  logic        rq_ex,
  input  logic        rq_priv,
  input  logic        rq_pv,
  input  logic [19:0] rq_pid,
  input  logic [23:0] rq_did,
  input  logic [63:0] rq_addr,
  input  logic [2:0]  rq_size,
  input  logic [63:0] rq_wdata,
  input  logic [7:0]  rq_wstrb,
  // response to the device port (one-cycle pulse)
  output logic        rs_valid,
  output logic [63:0] rs_rdata,
  output logic [1:0]  rs_resp,
  output logic [11:0] rs_cause,
  // fault record to the fault queue
  output logic        fr_valid,
  input  logic        fr_ready,
  output logic [11:0] fr_cause,
  output logic [5:0]  fr_ttyp,
  output logic [23:0] fr_did,
  output logic        fr_pv,
  output logic [19:0] fr_pid,
  output logic        fr_priv,
  output logic [63:0] fr_iotval,
  // synchronisation with the command queue
  input  logic        sy_valid,
  input  logic [1:0]  sy_kind,
  input  logic        sy_av,
  input  logic        sy_pscv,
  input  logic        sy_gv,
  input  logic [19:0] sy_pscid,
  input  logic [44:0] sy_vpn,
  input  logic        sy_dv,
  input  logic [23:0] sy_did,
  output logic        sy_ack,
  // memory clients: DDT walk, page-table walk, forwarded device access
  output logic        ddt_mreq,
  output logic [55:0] ddt_maddr,
  input  logic        ddt_mdone,
  output logic        ptw_mreq,
  output logic        ptw_mwe,
  output logic [55:0] ptw_maddr,
  output logic [63:0] ptw_mwdata,
  input  logic        ptw_mdone,
  output logic        dev_mreq,
  output logic        dev_mwe,
  output logic [55:0] dev_maddr,
  output logic [63:0] dev_mwdata,
  output logic [7:0]  dev_mwstrb,
  output logic [2:0]  dev_msize,
  input  logic        dev_mdone,
  input  logic [63:0] mrdata,
  input  logic [1:0]  mresp
);
  int PAS;
  assign PAS = int'(cfg.caps[37:32]);
  logic EXT;
  assign EXT = cfg.caps[22];

  typedef enum logic [3:0] {
    S_IDLE, S_CHECK, S_DDT, S_DC, S_WALK, S_PA, S_FWD, S_FAULT, S_REC, S_RESP
  } state_t;
  state_t state;

  // latched request
  logic        bad_q, wr_q, ex_q, priv_q, pv_q;
  logic [19:0] pid_q;
  logic [23:0] did_q;
  logic [63:0] va_q;
  logic [2:0]  size_q;
  logic [63:0] wdata_q;
  logic [7:0]  wstrb_q;
  // progress
  dc_t         dc_q;
  logic [55:0] pa_q;
  logic [11:0] cause_q;
  logic        dtf_known;     // DC located: DTF applies
  logic [63:0] rdata_q;
  logic [1:0]  resp_q;

  // ---------------------------------------------------------------- caches
  logic  ddtc_hit;
  dc_t   ddtc_dc;
  logic  ddtc_fill;
  logic  tlb_hit;
  tlbe_t tlb_e;
  logic  tlb_fill;
  tlbe_t tlb_fill_e;

  riommu_ddtc #(.ENTRIES(DDTC_ENTRIES)) u_ddtc (
    .clk, .rst_n, .cfg,
    .lk_did(did_q), .lk_hit(ddtc_hit), .lk_dc(ddtc_dc),
    .fill(ddtc_fill), .fill_did(did_q), .fill_dc(ddt_dc),
    .inv(sy_ack && sy_kind == SYNC_INV_DDT), .inv_all(!sy_dv), .inv_did(sy_did)
  );

  riommu_iotlb #(.ENTRIES(IOTLB_ENTRIES)) u_iotlb (
    .clk, .rst_n, .cfg,
    .lk_pscid(dc_q.pscid), .lk_vpn(va_q[56:12]), .lk_hit(tlb_hit), .lk_e(tlb_e),
    .fill(tlb_fill), .fill_e(tlb_fill_e),
    .inv(sy_ack && sy_kind == SYNC_INV_VMA), .inv_gv(sy_gv), .inv_av(sy_av),
    .inv_pscv(sy_pscv), .inv_pscid(sy_pscid), .inv_vpn(sy_vpn)
  );

  // ------------------------------------------------------------- walkers
  logic        ddt_start, ddt_done;
  logic [11:0] ddt_cause;
  dc_t         ddt_dc;
  riommu_ddt u_ddt (
    .clk, .rst_n, .cfg, .start(ddt_start), .did(did_q), .mode(ddtp_mode), .root_ppn(ddtp_ppn),
    .be(fctl_be), .done(ddt_done), .cause(ddt_cause), .dc(ddt_dc),
    .mreq(ddt_mreq), .maddr(ddt_maddr), .mdone(ddt_mdone), .mrdata(mrdata), .mresp(mresp)
  );

  logic        ptw_start, ptw_done;
  logic [11:0] ptw_cause;
  tlbe_t       ptw_leaf;
  riommu_ptw u_ptw (
    .clk, .rst_n, .cfg, .start(ptw_start), .mode(dc_q.fsc_mode), .root_ppn(dc_q.fsc_ppn),
    .va(va_q), .wr(wr_q), .ex(ex_q), .priv(priv_q), .sbe(dc_q.sbe), .sade(dc_q.sade),
    .done(ptw_done), .cause(ptw_cause), .leaf(ptw_leaf),
    .mreq(ptw_mreq), .mwe(ptw_mwe), .maddr(ptw_maddr), .mwdata(ptw_mwdata),
    .mdone(ptw_mdone), .mrdata(mrdata), .mresp(mresp)
  );

  // ------------------------------------------------------------- helpers
  logic [11:0] pf, af;
  assign pf = ex_q ? C_INSN_PAGE : wr_q ? C_STORE_PAGE : C_LOAD_PAGE;
  assign af = ex_q ? C_INSN_ACCESS : wr_q ? C_STORE_ACCESS : C_LOAD_ACCESS;

  // device_id wider than the DDT mode supports (step 4).
  logic did_too_wide;
  always_comb begin
    did_too_wide = 1'b0;
    if (ddtp_mode == DDTP_1LVL) did_too_wide = EXT ? (did_q[23:6] != 0) : (did_q[23:7] != 0);
    if (ddtp_mode == DDTP_2LVL) did_too_wide = EXT ? (did_q[23:15] != 0) : (did_q[23:16] != 0);
  end

  // Canonical IOVA for the fsc mode.
  logic canonical;
  always_comb begin
    case (dc_q.fsc_mode)
      SATP_SV39: canonical = (va_q[63:38] == '0) || (va_q[63:38] == '1);
      SATP_SV48: canonical = (va_q[63:47] == '0) || (va_q[63:47] == '1);
      default:   canonical = (va_q[63:56] == '0) || (va_q[63:56] == '1);
    endcase
    if (`RIOMMU_MUT(9)) canonical = 1'b1;  // mutant 9: no canonical-IOVA check
  end

  // Leaf -> physical address.
  function automatic logic [55:0] leaf_pa(input logic [43:0] ppn, input logic [2:0] lvl,
                                          input logic [55:0] va);
    logic [43:0] m;
    m = 44'((45'd1 << (9 * int'(lvl))) - 45'd1);
    return {(ppn & ~m) | (va[55:12] & m), va[11:0]};
  endfunction

  logic unused_tlb;  // the hit entry's tag fields were compared inside the IOTLB
  assign unused_tlb = ^{tlb_e.pscid, tlb_e.g, tlb_e.vpn};

  logic tlb_ok;
  // mutant 12: an IOTLB hit for a write checks R instead of W and D
  assign tlb_ok = tlb_hit && (ex_q ? tlb_e.x : wr_q ? (`RIOMMU_MUT(12) ? tlb_e.r : (tlb_e.w && tlb_e.d))
                                                    : tlb_e.r) &&
                  (priv_q ? !tlb_e.u : tlb_e.u);

  // Is the cause recorded when DTF = 1? (cause table: only 256-259, 268,
  // 272, 273 are.)
  function automatic logic dtf_reports(input logic [11:0] c);
    return (c >= 12'd256 && c <= 12'd259) || c == 12'd268 || c == 12'd272 || c == 12'd273;
  endfunction

  assign rq_ready   = (state == S_IDLE) && !sy_valid && rq_valid;
  assign sy_ack     = (state == S_IDLE) && sy_valid;
  assign ddt_start  = (state == S_CHECK) && !bad_q && ddtp_mode >= DDTP_1LVL && ddtp_mode <= DDTP_3LVL
                      && !did_too_wide && !ddtc_hit;
  // mutant 13: the DDTC is filled even when the DDT walk or the DC checks faulted
  assign ddtc_fill  = (state == S_DDT) && ddt_done && (ddt_cause == 12'd0 || `RIOMMU_MUT(13));
  assign tlb_fill   = (state == S_WALK) && ptw_done && ptw_cause == 12'd0;
  always_comb begin
    tlb_fill_e       = ptw_leaf;
    tlb_fill_e.pscid = dc_q.pscid;
  end
  assign ptw_start  = (state == S_DC) && !(pv_q && !dc_q.pdtv) &&
                      !(dc_q.pdtv || dc_q.fsc_mode == SATP_BARE) && canonical && !tlb_ok;

  assign dev_mreq   = (state == S_FWD);
  assign dev_mwe    = wr_q;
  assign dev_maddr  = pa_q;
  assign dev_mwdata = wdata_q;
  assign dev_mwstrb = wstrb_q;
  assign dev_msize  = size_q;

  assign fr_valid  = (state == S_REC);
  assign fr_cause  = cause_q;
  assign fr_ttyp   = ex_q ? TTYP_UT_EXEC : wr_q ? TTYP_UT_WRITE : TTYP_UT_READ;
  assign fr_did    = did_q;
  assign fr_pv     = pv_q;
  assign fr_pid    = pv_q ? pid_q : 20'd0;
  assign fr_priv   = pv_q ? priv_q : 1'b0;
  assign fr_iotval = va_q;

  assign rs_valid = (state == S_RESP);
  assign rs_rdata = rdata_q;
  assign rs_resp  = resp_q;
  assign rs_cause = (resp_q == 2'b10) ? cause_q : 12'd0;

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      state <= S_IDLE;
      {bad_q, wr_q, ex_q, priv_q, pv_q} <= '0;
      pid_q <= '0; did_q <= '0; va_q <= '0; size_q <= '0; wdata_q <= '0; wstrb_q <= '0;
      dc_q <= '0; pa_q <= '0; cause_q <= '0; dtf_known <= 1'b0; rdata_q <= '0; resp_q <= '0;
    end else begin
      case (state)
        S_IDLE: if (rq_ready) begin
          bad_q <= rq_bad; wr_q <= rq_wr; ex_q <= rq_ex && !rq_wr; priv_q <= rq_priv;
          pv_q <= rq_pv; pid_q <= rq_pid; did_q <= rq_did; va_q <= rq_addr; size_q <= rq_size;
          wdata_q <= rq_wdata; wstrb_q <= rq_wstrb;
          dtf_known <= 1'b0; rdata_q <= '0;
          state <= S_CHECK;
        end
        S_CHECK: begin
          if (bad_q) begin
            resp_q <= 2'b11; cause_q <= 12'd0; state <= S_RESP;
          end else if (ddtp_mode == DDTP_OFF) begin
            cause_q <= C_ALL_DISALLOWED; state <= S_FAULT;
          end else if (ddtp_mode == DDTP_BARE) begin
            pa_q <= va_q[55:0];
            if (va_q[63:56] != 8'd0) begin resp_q <= 2'b11; cause_q <= 12'd0; state <= S_RESP; end
            else state <= S_FWD;
          end else if (ddtp_mode > DDTP_3LVL) begin
            cause_q <= C_ALL_DISALLOWED; state <= S_FAULT;
          end else if (did_too_wide) begin
            cause_q <= C_TTYP_DISALLOWED; state <= S_FAULT;
          end else if (ddtc_hit) begin
            dc_q <= ddtc_dc; dtf_known <= 1'b1; state <= S_DC;
          end else begin
            state <= S_DDT;
          end
        end
        S_DDT: if (ddt_done) begin
          if (ddt_cause != 12'd0) begin
            cause_q <= ddt_cause; state <= S_FAULT;
          end else begin
            dc_q <= ddt_dc; dtf_known <= 1'b1; state <= S_DC;
          end
        end
        S_DC: begin
          if (pv_q && !dc_q.pdtv) begin
            cause_q <= C_TTYP_DISALLOWED; state <= S_FAULT;
          end else if (dc_q.pdtv || dc_q.fsc_mode == SATP_BARE) begin
            pa_q <= va_q[55:0];
            if (va_q[63:56] != 8'd0) begin resp_q <= 2'b11; cause_q <= 12'd0; state <= S_RESP; end
            else state <= S_FWD;
          end else if (!canonical) begin
            cause_q <= pf; state <= S_FAULT;
          end else if (tlb_ok) begin
            pa_q <= leaf_pa(tlb_e.ppn, tlb_e.lvl, va_q[55:0]); state <= S_PA;
          end else begin
            state <= S_WALK;
          end
        end
        S_WALK: if (ptw_done) begin
          if (ptw_cause != 12'd0) begin
            cause_q <= ptw_cause; state <= S_FAULT;
          end else begin
            pa_q <= leaf_pa(ptw_leaf.ppn, ptw_leaf.lvl, va_q[55:0]); state <= S_PA;
          end
        end
        S_PA: begin
          if (!pas_ok(pa_q, PAS)) begin cause_q <= af; state <= S_FAULT; end
          else state <= S_FWD;
        end
        S_FWD: if (dev_mdone) begin
          rdata_q <= wr_q ? 64'd0 : mrdata;
          resp_q  <= mresp;
          cause_q <= 12'd0;
          state   <= S_RESP;
        end
        S_FAULT: begin
          resp_q <= 2'b10;
          state  <= (dtf_known && dc_q.dtf && !dtf_reports(cause_q)) ? S_RESP : S_REC;
        end
        S_REC: if (fr_ready) state <= S_RESP;
        S_RESP: state <= S_IDLE;
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
