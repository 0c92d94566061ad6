`include "riommu_pkg.svh"
// riommu_fq: the fault queue (iommu_in_memory_queues.adoc, "Fault/Event-
// Queue"). Takes one record at a time (translation faults first, then
// IOMMU MSI write faults, cause 273) and writes it as four doublewords at
// fqb + fqt * 32 in fctl.BE order. While fqon = 0 or fqmf/fqof is set,
// records are dropped. A full queue sets fqof; a store fault (or an address
// at or above 2^PAS) sets fqmf; both drop the record. A written record
// advances fqt (which raises ipsr.fip when fie = 1, in riommu_regs).
// Every fault is reported individually, never coalesced (impl-defined 18).
module riommu_fq
  import riommu_pkg::*;
(
  input  logic        clk,
  input  logic        rst_n,
  // verilator lint_off UNUSEDSIGNAL
  input  cfg_t cfg,  // riommu_pkg::cfg_t: parameters and mutant select
  // verilator lint_on UNUSEDSIGNAL
  input  logic        fq_on,
  input  logic        fq_stalled,
  input  logic [43:0] fq_ppn,
  input  logic [4:0]  fq_log2szm1,
  input  logic [31:0] fqh,
  input  logic [31:0] fqt,
  input  logic        fctl_be,
  output logic        tail_inc,
  output logic        set_fqof,
  output logic        set_fqmf,
  // translation faults
  input  logic        fr_valid,
  output logic        fr_ready,
  input  logic [11:0] fr_cause,
  input  logic [5:0]  fr_ttyp,
  input  logic [23:0] fr_did,
  input  logic        fr_pv,
  input  logic [19:0] fr_pid,
  input  logic        fr_priv,
  input  logic [63:0] fr_iotval,
  // IOMMU MSI write faults
  input  logic        mf_valid,
  output logic        mf_ready,
  input  logic [55:0] mf_addr,
  // memory client
  output logic        mreq,
  output logic [55:0] maddr,
  output logic [63:0] mwdata,
  input  logic        mdone,
  input  logic [1:0]  mresp
);
  int PAS;
  assign PAS = int'(cfg.caps[37:32]);
  typedef enum logic [1:0] {S_IDLE, S_CHK, S_WR} state_t;
  state_t state;
  logic [3:0][63:0] rec;
  logic [1:0]       k;

  assign fr_ready = (state == S_IDLE) && fr_valid;
  assign mf_ready = (state == S_IDLE) && !fr_valid && mf_valid;

  logic [31:0] mask;
  assign mask = 32'((33'd1 << (6'(fq_log2szm1) + 6'd1)) - 33'd1);

  assign maddr  = {fq_ppn, 12'd0} + {19'd0, fqt, 5'd0} + {51'd0, k, 3'd0};
  assign mreq   = (state == S_WR) && pas_ok(maddr, PAS);
  assign mwdata = fctl_be ? bswap64(rec[k]) : rec[k];

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      state <= S_IDLE; rec <= '0; k <= '0;
      tail_inc <= 1'b0; set_fqof <= 1'b0; set_fqmf <= 1'b0;
    end else begin
      tail_inc <= 1'b0; set_fqof <= 1'b0; set_fqmf <= 1'b0;
      case (state)
        S_IDLE: begin
          if (fr_ready) begin
            rec[0] <= {fr_did, fr_ttyp, fr_priv, fr_pv, fr_pid, fr_cause};
            rec[1] <= '0;
            rec[2] <= `RIOMMU_MUT(24) ? 64'd0 : fr_iotval;  // mutant 24: iotval written to
            rec[3] <= `RIOMMU_MUT(24) ? fr_iotval : 64'd0;  // iotval2's doubleword
            state  <= S_CHK;
          end else if (mf_ready) begin
            rec[0] <= {24'd0, TTYP_NONE, 1'b0, 1'b0, 20'd0, C_MSI_WR_FAULT};
            rec[1] <= '0;
            rec[2] <= {8'd0, mf_addr};
            rec[3] <= '0;
            state  <= S_CHK;
          end
        end
        S_CHK: begin
          k <= '0;
          if (!fq_on || fq_stalled) state <= S_IDLE;
          // mutant 22: the full check forgets the wrap (fqt + 1 unmasked)
          // mutant 23: a full queue drops the record without setting fqof
          else if (((fqt + 32'd1) & (`RIOMMU_MUT(22) ? 32'hffff_ffff : mask)) == fqh) begin
            set_fqof <= !`RIOMMU_MUT(23); state <= S_IDLE;
          end
          else state <= S_WR;
        end
        S_WR: begin
          if (!pas_ok(maddr, PAS)) begin set_fqmf <= 1'b1; state <= S_IDLE; end
          else if (mdone) begin
            if (mresp != 2'b00) begin set_fqmf <= 1'b1; state <= S_IDLE; end
            else if (k == 2'd3) begin tail_inc <= 1'b1; state <= S_IDLE; end
            else k <= k + 2'd1;
          end
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
