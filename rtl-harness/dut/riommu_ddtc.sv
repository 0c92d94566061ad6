`include "riommu_pkg.svh"
// riommu_ddtc: device-directory-table cache (iommu_data_structures.adoc,
// "Caching in-memory data structures"). Fully associative, ENTRIES entries
// tagged by device_id, round-robin replacement. Only valid, well-formed
// device contexts are filled. Invalidated by IODIR.INVAL_DDT (DV=1: one
// device_id, DV=0: all).
module riommu_ddtc
  import riommu_pkg::*;
#(
  parameter int ENTRIES = 8
) (
  input  logic        clk,
  input  logic        rst_n,
  // verilator lint_off UNUSEDSIGNAL
  input  cfg_t cfg,  // riommu_pkg::cfg_t: parameters and mutant select
  // verilator lint_on UNUSEDSIGNAL
  input  logic [23:0] lk_did,
  output logic        lk_hit,
  output dc_t         lk_dc,
  input  logic        fill,
  input  logic [23:0] fill_did,
  input  dc_t         fill_dc,
  input  logic        inv,
  input  logic        inv_all,
  input  logic [23:0] inv_did
);
  localparam int IW = (ENTRIES > 1) ? $clog2(ENTRIES) : 1;
  logic [ENTRIES-1:0]        vld;
  logic [ENTRIES-1:0][23:0]  did;
  dc_t  [ENTRIES-1:0]        dc;
  logic [IW-1:0]             rr;

  always_comb begin
    lk_hit = 1'b0;
    lk_dc  = '0;
    for (int i = 0; i < ENTRIES; i++)
      if (vld[i] && did[i] == lk_did) begin
        lk_hit = 1'b1;
        lk_dc  = dc[i];
      end
  end

  // Victim: first invalid entry, else the round-robin pointer.
  logic [IW-1:0] victim;
  always_comb begin
    victim = rr;
    for (int i = ENTRIES - 1; i >= 0; i--) if (!vld[i]) victim = IW'(i);
  end

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      vld <= '0;
      did <= '0;
      dc  <= '0;
      rr  <= '0;
    end else begin
      if (fill) begin
        vld[victim] <= 1'b1;
        did[victim] <= fill_did;
        dc[victim]  <= fill_dc;
        rr <= (int'(rr) == ENTRIES - 1) ? '0 : rr + 1'b1;
      end
      if (inv)
        for (int i = 0; i < ENTRIES; i++)
          // mutant 17: IODIR.INVAL_DDT with DV = 0 invalidates only device_id 0
          if ((inv_all && !`RIOMMU_MUT(17)) || did[i] == inv_did) vld[i] <= 1'b0;
    end
  end
endmodule
