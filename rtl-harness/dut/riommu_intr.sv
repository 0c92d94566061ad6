`include "riommu_pkg.svh"
// riommu_intr: interrupt delivery (iommu_registers.adoc, "ipsr", "icvec",
// "msi_cfg_tbl"). Each ipsr bit i is routed to vector icvec[4i+3:4i].
//   fctl.WSI = 1: wsi[v] is the OR of the pending bits routed to v (level).
//   fctl.WSI = 0: a bit being set (ipsr_set: a 0 -> 1 transition, or set
//   again right after software cleared it) makes its vector pending; a
//   pending, unmasked vector sends one MSI (4-byte write of msi_data to
//   msi_addr); a masked one stays pending until unmasked (PCIe MSI-X). A
//   faulting MSI write is reported as cause 273 in the fault queue.
module riommu_intr
  import riommu_pkg::*;
#(
  parameter int NUM_VEC = 16
) (
  input  logic        clk,
  input  logic        rst_n,
  // verilator lint_off UNUSEDSIGNAL
  input  cfg_t cfg,  // riommu_pkg::cfg_t: parameters and mutant select
  // verilator lint_on UNUSEDSIGNAL
  input  logic [3:0]  ipsr,
  input  logic [3:0]  ipsr_set,
  input  logic [15:0] icvec,
  input  logic        fctl_wsi,
  input  logic [NUM_VEC-1:0][55:2] msi_addr,
  input  logic [NUM_VEC-1:0][31:0] msi_data,
  input  logic [NUM_VEC-1:0]       msi_mask,
  output logic [15:0] wsi,
  // MSI write fault report
  output logic        mf_valid,
  input  logic        mf_ready,
  output logic [55:0] mf_addr,
  // memory client
  output logic        mreq,
  output logic [55:0] maddr,
  output logic [63:0] mwdata,
  output logic [7:0]  mwstrb,
  input  logic        mdone,
  input  logic [1:0]  mresp
);
  localparam int VW = (NUM_VEC > 1) ? $clog2(NUM_VEC) : 1;

  always_comb begin
    wsi = '0;
    for (int i = 0; i < 4; i++)
      if (fctl_wsi && ipsr[i] && int'(icvec[4*i +: 4]) < NUM_VEC) wsi[icvec[4*i +: 4]] = 1'b1;
  end

  logic [NUM_VEC-1:0] pend;
  logic               busy;
  logic [VW-1:0]      cur;
  logic               mf_q;

  logic [NUM_VEC-1:0] rise;
  always_comb begin
    rise = '0;
    for (int i = 0; i < 4; i++)
      if (ipsr_set[i] && !fctl_wsi && int'(icvec[4*i +: 4]) < NUM_VEC)
        rise[icvec[4*i +: 4]] = 1'b1;
  end

  logic          send;
  logic [VW-1:0] pick;
  always_comb begin
    send = 1'b0;
    pick = '0;
    for (int v = NUM_VEC - 1; v >= 0; v--)
      // mutant 27: msi_vec_ctl.M ignored (a masked vector sends)
      if (pend[v] && (!msi_mask[v] || `RIOMMU_MUT(27))) begin send = 1'b1; pick = VW'(v); end
  end

  assign maddr  = {msi_addr[cur], 2'b00};
  // mutant 28: the byte lane of the MSI write chosen by address bit 3, not 2
  logic msi_hi;
  assign msi_hi = `RIOMMU_MUT(28) ? msi_addr[cur][3] : msi_addr[cur][2];
  assign mwdata = msi_hi ? {msi_data[cur], 32'd0} : {32'd0, msi_data[cur]};
  assign mwstrb = msi_hi ? 8'hf0 : 8'h0f;
  assign mreq   = busy;
  assign mf_valid = mf_q;

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      pend <= '0; busy <= 1'b0; cur <= '0; mf_q <= 1'b0; mf_addr <= '0;
    end else begin
      pend <= pend | rise;
      if (mf_q && mf_ready) mf_q <= 1'b0;
      if (!busy && !mf_q && send) begin
        busy <= 1'b1;
        cur  <= pick;
        pend <= (pend | rise) & ~(NUM_VEC'(1) << pick);
      end
      if (busy && mdone) begin
        busy <= 1'b0;
        if (mresp != 2'b00) begin mf_q <= 1'b1; mf_addr <= maddr; end
      end
    end
  end
endmodule
