`include "riommu_pkg.svh"
// riommu_cq: the command queue (iommu_in_memory_queues.adoc, "Command-Queue").
//
// Fetches one 16-byte command at cqb + cqh * 16 while cqon = 1 and neither
// cqmf nor cmd_ill is set, executes it, then advances cqh. Commands run in
// order; each one that touches the translation caches (or a fence) first
// synchronises with riommu_xlate, which acknowledges between device
// requests, so all earlier translations have completed.
//   IOTINVAL.VMA  GV/AV/PSCV (NL and S accepted when capable: invalidating
//                 more than asked is allowed, and S=1 invalidates as AV=0)
//   IOTINVAL.GVMA no-op with a Sv*x4 capability (no guest entries are ever
//                 cached), otherwise illegal (impl-defined 10)
//   IOFENCE.C     AV: 4-byte DATA write to ADDR (fctl.BE order); WSI:
//                 fence_w_ip (illegal when fctl.WSI = 0); PR/PW implied
//   IODIR         INVAL_DDT (DV); INVAL_PDT illegal without PD8/17/20,
//                 a no-op with them (no process contexts are cached)
//   ATS, others   illegal -> cmd_ill; a memory fault -> cqmf. cqh stays on
//                 the failing command.
module riommu_cq
  import riommu_pkg::*;
(
  input  logic        clk,
  input  logic        rst_n,
  // verilator lint_off UNUSEDSIGNAL
  input  cfg_t cfg,  // riommu_pkg::cfg_t: parameters and mutant select
  // verilator lint_on UNUSEDSIGNAL
  input  logic        cq_on,
  input  logic        cq_stalled,
  input  logic [43:0] cq_ppn,
  input  logic [31:0] cqh,
  input  logic [31:0] cqt,
  input  logic        fctl_be,
  input  logic        fctl_wsi,
  output logic        head_inc,
  output logic        set_cqmf,
  output logic        set_ill,
  output logic        set_fwip,
  // synchronisation with the translation engine
  output logic        sy_valid,
  output logic [1:0]  sy_kind,
  output logic        sy_av,
  output logic        sy_pscv,
  output logic        sy_gv,
  output logic [19:0] sy_pscid,
  output logic [44:0] sy_vpn,
  output logic        sy_dv,
  output logic [23:0] sy_did,
  input  logic        sy_ack,
  // memory client
  output logic        mreq,
  output logic        mwe,
  output logic [55:0] maddr,
  output logic [63:0] mwdata,
  output logic [7:0]  mwstrb,
  output logic [2:0]  msize,
  input  logic        mdone,
  input  logic [63:0] mrdata,
  input  logic [1:0]  mresp
);
  int PAS;
  assign PAS = int'(cfg.caps[37:32]);
  logic C_NL;
  assign C_NL = cfg.caps[42];
  logic C_S;
  assign C_S = cfg.caps[43];
  logic C_ATS;
  assign C_ATS = cfg.caps[25];
  logic C_GX4;
  assign C_GX4 = |cfg.caps[19:16];
  logic C_PD;
  assign C_PD = |cfg.caps[40:38];

  typedef enum logic [2:0] {S_IDLE, S_RD0, S_RD1, S_EXEC, S_SYNC, S_FWR, S_FIN} state_t;
  state_t state;
  logic [63:0] w0, w1;

  logic [63:0] rd;
  assign rd = fctl_be ? bswap64(mrdata) : mrdata;

  // command fields
  logic [6:0] op;
  logic [2:0] f3;
  assign op = w0[6:0];
  assign f3 = w0[9:7];
  logic [63:0] fence_addr;
  assign fence_addr = {w1[61:0], 2'b00};
  logic [31:0] fence_data;
  // mutant 21: IOFENCE.C DATA byte-swapped when fctl.BE = 0 (condition inverted)
  assign fence_data = (fctl_be ^ `RIOMMU_MUT(21)) ? bswap32(w0[63:32]) : w0[63:32];

  // Decode: illegal?, which synchronisation, is it a fence with a write.
  logic ill, is_fence, is_vma, is_ddt, is_nop;
  always_comb begin
    ill = 1'b0; is_fence = 1'b0; is_vma = 1'b0; is_ddt = 1'b0; is_nop = 1'b0;
    case (op)
      OP_IOTINVAL: begin
        if (w0[11] || w0[43:35] != 9'd0 || w0[63:60] != 4'd0 || w1[8:0] != 9'd0 ||
            w1[63:62] != 2'd0 || (!C_NL && w0[34]) || (!C_S && w1[9])) ill = 1'b1;
        if (f3 == 3'd0) is_vma = 1'b1;
        else if (f3 == 3'd1 && C_GX4) is_nop = 1'b1;
        else ill = 1'b1;
      end
      OP_IOFENCE: begin
        // mutant 20: IOFENCE.C's reserved bits 31:14 are not checked
        if (f3 != 3'd0 || (w0[31:14] != 18'd0 && !`RIOMMU_MUT(20)) || w1[63:62] != 2'd0 ||
            (w0[11] && !fctl_wsi)) ill = 1'b1;
        is_fence = 1'b1;
      end
      OP_IODIR: begin
        if (w0[11:10] != 2'd0 || w0[32] || w0[39:34] != 6'd0 || w1 != 64'd0) ill = 1'b1;
        if (f3 == 3'd0) is_ddt = 1'b1;
        else if (f3 == 3'd1 && C_PD) is_nop = 1'b1;
        else ill = 1'b1;
      end
      OP_ATS: ill = 1'b1;  // ATS is not implemented (capabilities.ATS must be 0)
      default: ill = 1'b1;
    endcase
  end

  logic unused_ok;
  assign unused_ok = ^{C_ATS, w0[13:12]};  // PR/PW: every earlier request is complete anyway

  assign sy_valid = (state == S_SYNC);
  assign sy_kind  = is_vma ? SYNC_INV_VMA : is_ddt ? SYNC_INV_DDT : SYNC_FENCE;
  assign sy_av    = w0[10] && !w1[9];   // S = 1: invalidate as for AV = 0
  // mutant 14: PSCV and GV decoded from each other's bit
  assign sy_pscv  = `RIOMMU_MUT(14) ? w0[33] : w0[32];
  assign sy_gv    = `RIOMMU_MUT(14) ? w0[32] : w0[33];
  assign sy_pscid = w0[31:12];
  assign sy_vpn   = `RIOMMU_MUT(15) ? w1[55:11] : w1[54:10];  // mutant 15: ADDR field off by one bit
  assign sy_dv    = w0[33];
  assign sy_did   = `RIOMMU_MUT(16) ? w0[55:32] : w0[63:40];  // mutant 16: DID from bits 55:32

  logic [55:0] qaddr;
  assign qaddr = {cq_ppn, 12'd0} + {20'd0, cqh, 4'd0} + ((state == S_RD1) ? 56'd8 : 56'd0);
  assign mreq   = (state == S_RD0 || state == S_RD1 || state == S_FWR);
  assign mwe    = (state == S_FWR);
  assign maddr  = (state == S_FWR) ? fence_addr[55:0] : qaddr;
  assign mwdata = fence_addr[2] ? {fence_data, 32'd0} : {32'd0, fence_data};
  assign mwstrb = (state == S_FWR) ? (fence_addr[2] ? 8'hf0 : 8'h0f) : 8'hff;
  assign msize  = (state == S_FWR) ? 3'd2 : 3'd3;

  logic fence_addr_ok;
  assign fence_addr_ok = (fence_addr[63:56] == 8'd0) && pas_ok(fence_addr[55:0], PAS);

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      state <= S_IDLE; w0 <= '0; w1 <= '0;
      head_inc <= 1'b0; set_cqmf <= 1'b0; set_ill <= 1'b0; set_fwip <= 1'b0;
    end else begin
      head_inc <= 1'b0; set_cqmf <= 1'b0; set_ill <= 1'b0; set_fwip <= 1'b0;
      case (state)
        S_IDLE: if (cq_on && !cq_stalled && cqh != cqt && !head_inc && !set_cqmf && !set_ill) begin
          if (!pas_ok(qaddr, PAS)) set_cqmf <= 1'b1;
          else state <= S_RD0;
        end
        S_RD0: if (mdone) begin
          if (mresp != 2'b00) begin set_cqmf <= 1'b1; state <= S_IDLE; end
          else begin w0 <= rd; state <= S_RD1; end
        end
        S_RD1: if (mdone) begin
          if (mresp != 2'b00) begin set_cqmf <= 1'b1; state <= S_IDLE; end
          else begin w1 <= rd; state <= S_EXEC; end
        end
        S_EXEC: begin
          if (ill)         begin set_ill <= 1'b1; state <= S_IDLE; end
          else if (is_nop) state <= S_FIN;
          else             state <= S_SYNC;
        end
        S_SYNC: if (sy_ack) begin
          if (is_fence && w0[10]) begin
            if (fence_addr_ok) state <= S_FWR;
            else begin set_cqmf <= 1'b1; state <= S_IDLE; end
          end else state <= S_FIN;
        end
        S_FWR: if (mdone) begin
          if (mresp != 2'b00) begin set_cqmf <= 1'b1; state <= S_IDLE; end
          else state <= S_FIN;
        end
        S_FIN: begin
          if (is_fence && w0[11]) set_fwip <= 1'b1;
          head_inc <= 1'b1;
          state <= S_IDLE;
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
