`include "riommu_pkg.svh"
// riommu_dev_port: the device-side AXI4 slave. Accepts reads (AR) and
// writes (AW + W) into one in-order request FIFO of QDEPTH entries, so
// devices can have several requests in flight while riommu_xlate handles
// the FIFO head; responses therefore return in acceptance order (per ID in
// order, as the contract requires). One response register serves B and R.
//
// Malformed requests (answered DECERR, never translated or recorded):
// len != 0, size > 3, an access crossing a 4 KiB page, or a device_id with
// bits at or above DID_WIDTH set. For a write with len != 0 every W beat
// is consumed and the first kept.
module riommu_dev_port #(
  parameter int DID_WIDTH = 24,
  parameter int QDEPTH    = 4
) (
  input  logic        clk,
  input  logic        rst_n,
  // verilator lint_off UNUSEDSIGNAL
  input  riommu_pkg::cfg_t cfg,  // riommu_pkg::cfg_t: parameters and mutant select
  // verilator lint_on UNUSEDSIGNAL
  input  logic        s_dev_awvalid,
  output logic        s_dev_awready,
  input  logic [63:0] s_dev_awaddr,
  input  logic [3:0]  s_dev_awid,
  input  logic [2:0]  s_dev_awsize,
  input  logic [7:0]  s_dev_awlen,
  input  logic [46:0] s_dev_awuser,
  input  logic        s_dev_wvalid,
  output logic        s_dev_wready,
  input  logic [63:0] s_dev_wdata,
  input  logic [7:0]  s_dev_wstrb,
  input  logic        s_dev_wlast,
  output logic        s_dev_bvalid,
  input  logic        s_dev_bready,
  output logic [3:0]  s_dev_bid,
  output logic [1:0]  s_dev_bresp,
  output logic [11:0] s_dev_buser,
  input  logic        s_dev_arvalid,
  output logic        s_dev_arready,
  input  logic [63:0] s_dev_araddr,
  input  logic [3:0]  s_dev_arid,
  input  logic [2:0]  s_dev_arsize,
  input  logic [7:0]  s_dev_arlen,
  input  logic [46:0] s_dev_aruser,
  output logic        s_dev_rvalid,
  input  logic        s_dev_rready,
  output logic [63:0] s_dev_rdata,
  output logic [3:0]  s_dev_rid,
  output logic [1:0]  s_dev_rresp,
  output logic        s_dev_rlast,
  output logic [11:0] s_dev_ruser,
  // FIFO head to the translation engine
  output logic        rq_valid,
  input  logic        rq_ready,
  output logic        rq_bad,
  output logic        rq_wr,
  output logic        rq_ex,
  output logic        rq_priv,
  output logic        rq_pv,
  output logic [19:0] rq_pid,
  output logic [23:0] rq_did,
  output logic [63:0] rq_addr,
  output logic [2:0]  rq_size,
  output logic [63:0] rq_wdata,
  output logic [7:0]  rq_wstrb,
  // response from the translation engine
  input  logic        rs_valid,
  input  logic [63:0] rs_rdata,
  input  logic [1:0]  rs_resp,
  input  logic [11:0] rs_cause
);
  typedef struct packed {
    logic        bad, wr;
    logic [3:0]  id;
    logic [46:0] user;
    logic [63:0] addr;
    logic [2:0]  size;
    logic [63:0] wdata;
    logic [7:0]  wstrb;
  } req_t;

  localparam int PW = (QDEPTH > 1) ? $clog2(QDEPTH) : 1;
  req_t [QDEPTH-1:0] q;
  logic [PW-1:0]     rp, wp;
  logic [PW:0]       cnt;
  logic              full;
  assign full = (int'(cnt) == QDEPTH);

  function automatic logic malformed(input logic [11:0] a, input logic [2:0] sz,
                                     input logic [7:0] len, input logic [23:0] did);
    logic [12:0] endb;
    // An unaligned single beat moves the bytes from `a` to the end of its
    // aligned container (AXI4 A3.4.1 "Unaligned transfers"), so the end is
    // that of the container, not a + 2^size.
    endb = {1'b0, a[11:0] & ~12'((13'd1 << sz) - 13'd1)} + (13'd1 << sz);
    return len != 8'd0 || sz > 3'd3 || endb > 13'd4096 ||
           (DID_WIDTH < 24 && (did >> DID_WIDTH) != 24'd0);
  endfunction

  // Write address held until its data arrives.
  logic        aw_held, w_first_done;
  req_t        awq;
  logic        push_w, push_r;
  assign s_dev_awready = !aw_held;
  assign s_dev_wready  = aw_held && !full;
  assign push_w = s_dev_wvalid && s_dev_wready && s_dev_wlast;
  assign s_dev_arready = !full && !push_w;
  assign push_r = s_dev_arvalid && s_dev_arready;

  // Head of the FIFO.
  logic rsp_full;
  assign rq_valid = (cnt != '0) && !rsp_full;
  assign rq_bad   = q[rp].bad;
  assign rq_wr    = q[rp].wr;
  assign rq_ex    = q[rp].user[46];
  assign rq_priv  = q[rp].user[45];
  assign rq_pv    = q[rp].user[44];
  assign rq_pid   = q[rp].user[43:24];
  assign rq_did   = q[rp].user[23:0];
  assign rq_addr  = q[rp].addr;
  assign rq_size  = q[rp].size;
  assign rq_wdata = q[rp].wdata;
  assign rq_wstrb = q[rp].wstrb;

  // Response register (one outstanding translation, so one slot).
  logic        rsp_wr;
  logic [3:0]  rsp_id;
  logic [3:0]  cur_id;
  logic        cur_wr;
  assign s_dev_bvalid = rsp_full && rsp_wr;
  assign s_dev_rvalid = rsp_full && !rsp_wr;
  assign s_dev_bid    = rsp_id;
  assign s_dev_rid    = rsp_id;
  assign s_dev_rlast  = 1'b1;

  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      q <= '0; rp <= '0; wp <= '0; cnt <= '0;
      aw_held <= 1'b0; w_first_done <= 1'b0; awq <= '0;
      rsp_full <= 1'b0; rsp_wr <= 1'b0; rsp_id <= '0; cur_id <= '0; cur_wr <= 1'b0;
      s_dev_bresp <= '0; s_dev_buser <= '0;
      s_dev_rresp <= '0; s_dev_ruser <= '0; s_dev_rdata <= '0;
    end else begin
      // accept
      if (s_dev_awvalid && s_dev_awready) begin
        aw_held <= 1'b1;
        w_first_done <= 1'b0;
        awq.bad  <= malformed(s_dev_awaddr[11:0], s_dev_awsize, s_dev_awlen, s_dev_awuser[23:0]);
        awq.wr   <= 1'b1;
        awq.id   <= s_dev_awid;
        awq.user <= s_dev_awuser;
        awq.addr <= s_dev_awaddr;
        awq.size <= s_dev_awsize;
      end
      if (s_dev_wvalid && s_dev_wready && !w_first_done) begin
        awq.wdata <= s_dev_wdata;
        awq.wstrb <= s_dev_wstrb;
        w_first_done <= 1'b1;
      end
      if (push_w) begin
        q[wp] <= awq;
        if (!w_first_done) begin
          q[wp].wdata <= s_dev_wdata;
          q[wp].wstrb <= s_dev_wstrb;
        end
        aw_held <= 1'b0;
      end else if (push_r) begin
        q[wp].bad   <= malformed(s_dev_araddr[11:0], s_dev_arsize, s_dev_arlen, s_dev_aruser[23:0]);
        q[wp].wr    <= 1'b0;
        q[wp].id    <= s_dev_arid;
        q[wp].user  <= s_dev_aruser;
        q[wp].addr  <= s_dev_araddr;
        q[wp].size  <= s_dev_arsize;
        q[wp].wdata <= '0;
        q[wp].wstrb <= '0;
      end
      if (push_w || push_r) wp <= (int'(wp) == QDEPTH - 1) ? '0 : wp + 1'b1;
      // pop
      if (rq_valid && rq_ready) begin
        cur_id <= q[rp].id;
        cur_wr <= q[rp].wr;
        rp <= (int'(rp) == QDEPTH - 1) ? '0 : rp + 1'b1;
      end
      cnt <= cnt + (PW+1)'(push_w || push_r) - (PW+1)'(rq_valid && rq_ready);
      // respond
      // mutant 31: a faulting write's response is lost (B never sent: the device hangs)
      if (rs_valid && !(`RIOMMU_MUT(31) && cur_wr && rs_resp == 2'b10)) begin
        rsp_full <= 1'b1;
        rsp_wr   <= cur_wr;
        rsp_id   <= cur_id;
        s_dev_bresp <= rs_resp; s_dev_buser <= rs_cause;
        s_dev_rresp <= rs_resp; s_dev_ruser <= rs_cause; s_dev_rdata <= rs_rdata;
      end else if ((s_dev_bvalid && s_dev_bready) || (s_dev_rvalid && s_dev_rready)) begin
        rsp_full <= 1'b0;
      end
    end
  end
endmodule
