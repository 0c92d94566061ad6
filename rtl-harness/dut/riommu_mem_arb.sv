`include "riommu_pkg.svh"
// riommu_mem_arb: the AXI4 master memory port, shared by the IOMMU's clients
// (DDT walker, page-table walker, translated device traffic, command queue,
// fault queue, MSI writer).
//
// Contract with a client c: hold req[c] and the payload stable until done[c]
// pulses for one cycle; rdata/resp are valid in that cycle. One transaction
// is outstanding at a time (single 8-byte-bus beat, len 0, INCR), so the
// harness's cross-ID reordering never applies; the AXI ID is the client
// number. Fixed priority: lower client number wins (walkers before device
// traffic before queues), which cannot starve anything for long because
// every client waits for its own completion before asking again.
module riommu_mem_arb #(
  parameter int N = 6
) (
  input  logic clk,
  input  logic rst_n,
  // verilator lint_off UNUSEDSIGNAL
  input  riommu_pkg::cfg_t cfg,  // riommu_pkg::cfg_t: parameters and mutant select
  // verilator lint_on UNUSEDSIGNAL
  // clients
  input  logic [N-1:0]        req,
  input  logic [N-1:0]        we,
  input  logic [N-1:0][55:0]  addr,
  input  logic [N-1:0][63:0]  wdata,
  input  logic [N-1:0][7:0]   wstrb,
  input  logic [N-1:0][2:0]   size,
  input  logic [N-1:0]        xlated,   // translated device traffic: user[0]
  output logic [N-1:0]        done,
  output logic [63:0]         rdata,
  output logic [1:0]          resp,
  // AXI4 master
  output logic        m_mem_awvalid,
  input  logic        m_mem_awready,
  output logic [55:0] m_mem_awaddr,
  output logic [3:0]  m_mem_awid,
  output logic [2:0]  m_mem_awsize,
  output logic [7:0]  m_mem_awlen,
  output logic [1:0]  m_mem_awburst,
  output logic [0:0]  m_mem_awuser,
  output logic        m_mem_wvalid,
  input  logic        m_mem_wready,
  output logic [63:0] m_mem_wdata,
  output logic [7:0]  m_mem_wstrb,
  output logic        m_mem_wlast,
  input  logic        m_mem_bvalid,
  output logic        m_mem_bready,
  input  logic [3:0]  m_mem_bid,
  input  logic [1:0]  m_mem_bresp,
  output logic        m_mem_arvalid,
  input  logic        m_mem_arready,
  output logic [55:0] m_mem_araddr,
  output logic [3:0]  m_mem_arid,
  output logic [2:0]  m_mem_arsize,
  output logic [7:0]  m_mem_arlen,
  output logic [1:0]  m_mem_arburst,
  output logic [0:0]  m_mem_aruser,
  input  logic        m_mem_rvalid,
  output logic        m_mem_rready,
  input  logic [63:0] m_mem_rdata,
  input  logic [3:0]  m_mem_rid,
  input  logic [1:0]  m_mem_rresp,
  input  logic        m_mem_rlast
);
  typedef enum logic [2:0] {S_IDLE, S_AR, S_R, S_AW, S_B} state_t;
  state_t state;
  logic [$clog2(N)-1:0] cur;
  logic aw_done, w_done;

  // Priority pick.
  logic [$clog2(N)-1:0] pick;
  always_comb begin
    pick = '0;
    for (int i = N - 1; i >= 0; i--) if (req[i]) pick = i[$clog2(N)-1:0];
  end

  // The ID, address and payload come straight from the client that holds
  // its request stable.
  assign m_mem_arvalid = (state == S_AR);
  assign m_mem_araddr  = addr[cur];
  assign m_mem_arid    = 4'(cur);
  assign m_mem_arsize  = size[cur];
  assign m_mem_arlen   = 8'd0;
  assign m_mem_arburst = 2'b01;
  assign m_mem_aruser  = xlated[cur];
  assign m_mem_rready  = (state == S_R);

  assign m_mem_awvalid = (state == S_AW) && !aw_done;
  assign m_mem_awaddr  = addr[cur];
  assign m_mem_awid    = 4'(cur);
  assign m_mem_awsize  = size[cur];
  assign m_mem_awlen   = 8'd0;
  assign m_mem_awburst = 2'b01;
  assign m_mem_awuser  = xlated[cur];
  assign m_mem_wvalid  = (state == S_AW) && !w_done;
  assign m_mem_wdata   = wdata[cur];
  // mutant 32: translated writes get every byte strobe, not the device's
  assign m_mem_wstrb   = (`RIOMMU_MUT(32) && xlated[cur]) ? 8'hff : wstrb[cur];
  assign m_mem_wlast   = !`RIOMMU_MUT(29);  // mutant 29: wlast never set
  assign m_mem_bready  = (state == S_B);

  // IDs and rlast need no checking: one transaction is outstanding.
  logic unused_ok;
  assign unused_ok = ^{m_mem_bid, m_mem_rid, m_mem_rlast};

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      state   <= S_IDLE;
      cur     <= '0;
      aw_done <= 1'b0;
      w_done  <= 1'b0;
      done    <= '0;
      rdata   <= '0;
      resp    <= '0;
    end else begin
      done <= '0;
      case (state)
        S_IDLE: if (|req && !(|done)) begin
          cur     <= pick;
          aw_done <= 1'b0;
          w_done  <= 1'b0;
          state   <= we[pick] ? S_AW : S_AR;
        end
        S_AR: if (m_mem_arready) state <= S_R;
        S_R: if (m_mem_rvalid) begin
          rdata     <= m_mem_rdata;
          resp      <= m_mem_rresp;
          done[cur] <= 1'b1;
          state     <= S_IDLE;
        end
        S_AW: begin
          if (m_mem_awready) aw_done <= 1'b1;
          if (m_mem_wready)  w_done  <= 1'b1;
          if ((aw_done || m_mem_awready) && (w_done || m_mem_wready)) state <= S_B;
        end
        S_B: if (m_mem_bvalid) begin
          rdata     <= '0;
          resp      <= m_mem_bresp;
          done[cur] <= 1'b1;
          state     <= S_IDLE;
        end
        default: state <= S_IDLE;
      endcase
    end
  end
endmodule
