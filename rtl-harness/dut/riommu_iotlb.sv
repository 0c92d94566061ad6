`include "riommu_pkg.svh"
// riommu_iotlb: IOTLB for first-stage translations (iommu_data_structures.adoc,
// "Caching in-memory data structures"; iommu_in_memory_queues.adoc,
// "IOTINVAL.VMA"). Fully associative, ENTRIES entries, round-robin
// replacement. Entries are tagged by PSCID (DC.ta.PSCID), the G bit and the
// VPN at the leaf's level. All entries belong to the host address space
// (iohgatp Bare is the only accepted second-stage mode), so an invalidation
// with GV=1 matches nothing.
module riommu_iotlb
  import riommu_pkg::*;
#(
  parameter int ENTRIES = 16
) (
  input  logic        clk,
  input  logic        rst_n,
  // verilator lint_off UNUSEDSIGNAL
  input  cfg_t cfg,  // riommu_pkg::cfg_t: parameters and mutant select
  // verilator lint_on UNUSEDSIGNAL
  input  logic [19:0] lk_pscid,
  input  logic [44:0] lk_vpn,
  output logic        lk_hit,
  output tlbe_t       lk_e,
  input  logic        fill,
  input  tlbe_t       fill_e,
  // IOTINVAL.VMA
  input  logic        inv,
  input  logic        inv_gv,
  input  logic        inv_av,
  input  logic        inv_pscv,
  input  logic [19:0] inv_pscid,
  input  logic [44:0] inv_vpn
);
  localparam int IW = (ENTRIES > 1) ? $clog2(ENTRIES) : 1;
  logic  [ENTRIES-1:0] vld;
  tlbe_t [ENTRIES-1:0] e;
  logic  [IW-1:0]      rr;

  function automatic logic vpn_match(input logic [44:0] ev, input logic [2:0] lvl,
                                     input logic [44:0] vpn);
    logic [44:0] m;
    m = ~((45'd1 << (9 * int'(lvl))) - 45'd1);
    return ((ev ^ vpn) & m) == 45'd0;
  endfunction

  always_comb begin
    lk_hit = 1'b0;
    lk_e   = '0;
    for (int i = 0; i < ENTRIES; i++)
      // mutant 10: a lookup ignores the PSCID tag; mutant 11: a leaf matches one level too high
      if (vld[i] && (e[i].g || e[i].pscid == lk_pscid || `RIOMMU_MUT(10)) &&
          vpn_match(e[i].vpn, e[i].lvl + (`RIOMMU_MUT(11) ? 3'd1 : 3'd0), lk_vpn)) begin
        lk_hit = 1'b1;
        lk_e   = e[i];
      end
  end

  logic [IW-1:0] victim;
  always_comb begin
    victim = rr;
    for (int i = ENTRIES - 1; i >= 0; i--) if (!vld[i]) victim = IW'(i);
  end

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      vld <= '0;
      e   <= '0;
      rr  <= '0;
    end else begin
      if (fill) begin
        vld[victim] <= 1'b1;
        e[victim]   <= fill_e;
        rr <= (int'(rr) == ENTRIES - 1) ? '0 : rr + 1'b1;
      end
      if (inv && !inv_gv)
        for (int i = 0; i < ENTRIES; i++)
          if ((!inv_pscv || (e[i].pscid == inv_pscid && !e[i].g)) &&
              (!inv_av || vpn_match(e[i].vpn, e[i].lvl, inv_vpn)))
            vld[i] <= 1'b0;
    end
  end
endmodule
