// riommu_stub_top.sv - TEST STUB, not the project's IOMMU.
//
// A stand-in with the ports of docs/rtl-harness.md (module riommu_rtl_top),
// used only to test the C++ harness while the real DUT is developed
// elsewhere. It does no translation at all:
//
//  * register port: a 4 KiB register file (512 x 64 bit, byte strobes);
//    offset 0x000 reads the CAPS parameter; 0xF00..0xF28 are stub controls.
//  * device port -> memory port: an identity "translator". Reads pass
//    through combinationally (AR and R channels, user[0] = 1); writes go one
//    at a time through a small state machine. A device address with any of
//    bits [63:56] set "faults": SLVERR with user = 13 (read) or 15 (write).
//    The register file itself has no reset (Verilator zero-initialises it).
//  * a burst engine on the memory port (IDs 8..15) for testing the memory
//    slave: writes a pattern or reads and sums bursts of up to 16 beats.
//
// Stub controls (register offsets):
//   0xF00 MODE: 0 normal; 1 drop mem awvalid before awready; 2 change mem
//         awaddr while waiting for awready; 3 burst engine omits wlast;
//         4 device R/B responses never come (hang: AR never accepted);
//         5 one spurious device B (id 7) with no request;
//         6 device read data without rlast; 7 one spurious device R (id 9)
//         with no request; 8 burst engine sets wlast on every write beat;
//         9 burst engine reads with arlen + 16 (17..32 beats);
//         10 burst engine reads with arsize 4 (16-byte beats).
//   0xF08 ENG_ADDR  burst address
//   0xF10 ENG_CTL   write starts a burst: [0] 1 write / 0 read,
//         [11:8] len (beats - 1), [14:12] id (sent as 8 + id)
//   0xF18 ENG_SUM   sum of all read beats (RO)
//   0xF20 ENG_BEATS read beats received, write responses received (RO)
//   0xF28 WSI       drives wsi[15:0]
// Write beat i of a burst carries ENG_ADDR + i * 0x0101010101010101.
/* verilator lint_off UNUSEDSIGNAL */
module riommu_stub_top #(
  parameter logic [63:0] CAPS = 64'h0000_0000_0000_0010
) (
  input  logic        clk,
  input  logic        rst_n,
  // register port (AXI4 slave)
  input  logic        s_reg_awvalid,
  output logic        s_reg_awready,
  input  logic [11:0] s_reg_awaddr,
  input  logic [3:0]  s_reg_awid,
  input  logic [2:0]  s_reg_awsize,
  input  logic [7:0]  s_reg_awlen,
  input  logic        s_reg_wvalid,
  output logic        s_reg_wready,
  input  logic [63:0] s_reg_wdata,
  input  logic [7:0]  s_reg_wstrb,
  input  logic        s_reg_wlast,
  output logic        s_reg_bvalid,
  input  logic        s_reg_bready,
  output logic [3:0]  s_reg_bid,
  output logic [1:0]  s_reg_bresp,
  input  logic        s_reg_arvalid,
  output logic        s_reg_arready,
  input  logic [11:0] s_reg_araddr,
  input  logic [3:0]  s_reg_arid,
  input  logic [2:0]  s_reg_arsize,
  input  logic [7:0]  s_reg_arlen,
  output logic        s_reg_rvalid,
  input  logic        s_reg_rready,
  output logic [63:0] s_reg_rdata,
  output logic [3:0]  s_reg_rid,
  output logic [1:0]  s_reg_rresp,
  output logic        s_reg_rlast,
  // memory port (AXI4 master)
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
  input  logic        m_mem_rlast,
  // device port (AXI4 slave)
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
  // interrupts
  output logic [15:0] wsi
);
  localparam logic [1:0] OKAY = 2'b00, SLVERR = 2'b10;

  // ------------------------------------------------------------ registers
  logic [63:0] regs [512];
  logic        aw_have, w_have;
  logic [8:0]  aw_idx;
  logic [3:0]  aw_id_q;
  logic [63:0] w_data_q;
  logic [7:0]  w_strb_q;
  logic [63:0] wmask;
  logic [63:0] eng_sum;
  logic [31:0] eng_rbeats, eng_bcount;
  logic        eng_start;
  logic [3:0]  mode;

  assign s_reg_awready = !aw_have && !s_reg_bvalid;
  assign s_reg_wready  = !w_have && !s_reg_bvalid;
  assign s_reg_arready = !s_reg_rvalid;
  assign s_reg_bresp   = OKAY;
  assign s_reg_rresp   = OKAY;
  assign s_reg_rlast   = 1'b1;
  assign mode          = regs[9'h1E0][3:0];
  assign wsi           = regs[9'h1E5][15:0];

  always_comb begin
    for (int i = 0; i < 8; i++) wmask[i*8 +: 8] = {8{w_strb_q[i]}};
  end

  always_ff @(posedge clk) begin
    eng_start <= 1'b0;
    if (!rst_n) begin
      aw_have <= 1'b0;
      w_have <= 1'b0;
      s_reg_bvalid <= 1'b0;
      s_reg_rvalid <= 1'b0;
      s_reg_bid <= '0;
      s_reg_rid <= '0;
      s_reg_rdata <= '0;
    end else begin
      if (s_reg_awvalid && s_reg_awready) begin
        aw_have <= 1'b1;
        aw_idx <= s_reg_awaddr[11:3];
        aw_id_q <= s_reg_awid;
      end
      if (s_reg_wvalid && s_reg_wready) begin
        w_have <= 1'b1;
        w_data_q <= s_reg_wdata;
        w_strb_q <= s_reg_wstrb;
      end
      if (aw_have && w_have) begin
        aw_have <= 1'b0;
        w_have <= 1'b0;
        if (aw_idx != 9'd0)
          regs[aw_idx] <= (regs[aw_idx] & ~wmask) | (w_data_q & wmask);
        if (aw_idx == 9'h1E2) eng_start <= 1'b1;
        s_reg_bvalid <= 1'b1;
        s_reg_bid <= aw_id_q;
      end
      if (s_reg_bvalid && s_reg_bready) s_reg_bvalid <= 1'b0;
      if (s_reg_arvalid && s_reg_arready) begin
        s_reg_rvalid <= 1'b1;
        s_reg_rid <= s_reg_arid;
        case (s_reg_araddr[11:3])
          9'h000:  s_reg_rdata <= CAPS;
          9'h1E3:  s_reg_rdata <= eng_sum;
          9'h1E4:  s_reg_rdata <= {eng_bcount, eng_rbeats};
          default: s_reg_rdata <= regs[s_reg_araddr[11:3]];
        endcase
      end
      if (s_reg_rvalid && s_reg_rready) s_reg_rvalid <= 1'b0;
    end
  end

  // ------------------------------------------------------- burst engine
  typedef enum logic [1:0] {E_IDLE, E_AW, E_W} eng_state_e;
  eng_state_e  e_st;
  logic [63:0] e_addr;
  logic [3:0]  e_len, e_beat;
  logic [2:0]  e_id;
  logic        e_ar_pend;
  logic [63:0] e_ctl;

  assign e_ctl = regs[9'h1E2];

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      e_st <= E_IDLE;
      e_ar_pend <= 1'b0;
      eng_sum <= '0;
      eng_rbeats <= '0;
      eng_bcount <= '0;
    end else begin
      if (eng_start) begin
        e_addr <= regs[9'h1E1];
        e_len <= e_ctl[11:8];
        e_id <= e_ctl[14:12];
        e_beat <= '0;
        if (e_ctl[0]) e_st <= E_AW;
        else e_ar_pend <= 1'b1;
      end
      if (e_st == E_AW && m_mem_awvalid && m_mem_awready) e_st <= E_W;
      if (e_st == E_W && m_mem_wvalid && m_mem_wready) begin
        e_beat <= e_beat + 4'd1;
        if (e_beat == e_len) e_st <= E_IDLE;
      end
      if (e_ar_pend && m_mem_arvalid && m_mem_arready && m_mem_arid[3]) e_ar_pend <= 1'b0;
      if (m_mem_rvalid && m_mem_rready && m_mem_rid[3]) begin
        eng_sum <= eng_sum + m_mem_rdata;
        eng_rbeats <= eng_rbeats + 32'd1;
      end
      if (m_mem_bvalid && m_mem_bready && m_mem_bid[3]) eng_bcount <= eng_bcount + 32'd1;
    end
  end

  // ------------------------------------------------ device write path
  typedef enum logic [2:0] {D_IDLE, D_W, D_AW, D_MW, D_MB, D_B} dev_state_e;
  dev_state_e  d_st;
  logic [63:0] d_addr;
  logic [3:0]  d_id;
  logic [2:0]  d_size;
  logic [63:0] d_data;
  logic [7:0]  d_strb;
  logic        d_fault;
  logic        d_aw_first;   // first cycle of D_AW (mode 1)
  logic [55:0] d_wobble;     // mode 2 address change
  logic        spurious_done;

  assign s_dev_awready = (d_st == D_IDLE) && mode != 4'd4;
  assign s_dev_wready  = (d_st == D_W);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      d_st <= D_IDLE;
      s_dev_bvalid <= 1'b0;
      s_dev_bid <= '0;
      s_dev_bresp <= OKAY;
      s_dev_buser <= '0;
      d_aw_first <= 1'b0;
      d_wobble <= '0;
      spurious_done <= 1'b0;
    end else begin
      case (d_st)
        D_IDLE: if (s_dev_awvalid && s_dev_awready) begin
          d_addr <= s_dev_awaddr;
          d_id <= s_dev_awid;
          d_size <= s_dev_awsize;
          d_fault <= s_dev_awaddr[63:56] != 8'd0;
          d_st <= D_W;
        end
        D_W: if (s_dev_wvalid) begin
          d_data <= s_dev_wdata;
          d_strb <= s_dev_wstrb;
          if (d_fault) begin
            d_st <= D_B;
            s_dev_bvalid <= 1'b1;
            s_dev_bid <= d_id;
            s_dev_bresp <= SLVERR;
            s_dev_buser <= 12'd15;
          end else begin
            d_st <= D_AW;
            d_aw_first <= 1'b1;
            d_wobble <= '0;
          end
        end
        D_AW: begin
          d_aw_first <= 1'b0;
          d_wobble <= d_wobble + 56'h40;
          if (m_mem_awvalid && m_mem_awready) d_st <= D_MW;
        end
        D_MW: if (m_mem_wvalid && m_mem_wready) d_st <= D_MB;
        D_MB: if (m_mem_bvalid && !m_mem_bid[3]) begin
          d_st <= D_B;
          s_dev_bvalid <= 1'b1;
          s_dev_bid <= d_id;
          s_dev_bresp <= m_mem_bresp;
          s_dev_buser <= '0;
        end
        D_B: if (s_dev_bready) begin
          d_st <= D_IDLE;
          s_dev_bvalid <= 1'b0;
        end
        default: d_st <= D_IDLE;
      endcase
      if (mode == 4'd5 && !spurious_done && d_st == D_IDLE) begin
        spurious_done <= 1'b1;
        s_dev_bvalid <= 1'b1;
        s_dev_bid <= 4'd7;
        s_dev_bresp <= OKAY;
        s_dev_buser <= '0;
        d_st <= D_B;
      end
    end
  end

  // --------------------------------------- memory port write channels
  always_comb begin
    m_mem_awvalid = 1'b0;
    m_mem_awaddr = '0;
    m_mem_awid = '0;
    m_mem_awsize = 3'd3;
    m_mem_awlen = '0;
    m_mem_awburst = 2'b01;
    m_mem_awuser = 1'b0;
    m_mem_wvalid = 1'b0;
    m_mem_wdata = '0;
    m_mem_wstrb = '0;
    m_mem_wlast = 1'b0;
    if (e_st == E_AW) begin
      m_mem_awvalid = 1'b1;
      m_mem_awaddr = e_addr[55:0];
      m_mem_awid = {1'b1, e_id};
      m_mem_awlen = {4'd0, e_len};
    end else if (e_st == E_W) begin
      m_mem_wvalid = 1'b1;
      m_mem_wdata = e_addr + {8{4'd0, e_beat}};
      m_mem_wstrb = 8'hFF;
      m_mem_wlast = ((e_beat == e_len) && mode != 4'd3) || mode == 4'd8;
    end else if (d_st == D_AW) begin
      m_mem_awvalid = (mode == 4'd1) ? d_aw_first : 1'b1;
      m_mem_awaddr = d_addr[55:0] + ((mode == 4'd2) ? d_wobble : 56'd0);
      m_mem_awid = d_id;
      m_mem_awsize = d_size;
      m_mem_awuser = 1'b1;
    end else if (d_st == D_MW) begin
      m_mem_wvalid = 1'b1;
      m_mem_wdata = d_data;
      m_mem_wstrb = d_strb;
      m_mem_wlast = 1'b1;
    end
  end
  assign m_mem_bready = m_mem_bid[3] || d_st == D_MB;

  // ------------------------------------------------ device read path
  logic        rf_pend;
  logic [3:0]  rf_id;
  logic        dev_ar_fault;

  assign dev_ar_fault = s_dev_araddr[63:56] != 8'd0;
  always_comb begin
    m_mem_arvalid = 1'b0;
    m_mem_araddr = '0;
    m_mem_arid = '0;
    m_mem_arsize = 3'd3;
    m_mem_arlen = '0;
    m_mem_arburst = 2'b01;
    m_mem_aruser = 1'b0;
    s_dev_arready = 1'b0;
    if (e_ar_pend) begin
      m_mem_arvalid = 1'b1;
      m_mem_araddr = e_addr[55:0];
      m_mem_arid = {1'b1, e_id};
      m_mem_arlen = {(mode == 4'd9) ? 4'd1 : 4'd0, e_len};
      if (mode == 4'd10) m_mem_arsize = 3'd4;
    end else if (mode != 4'd4) begin
      if (dev_ar_fault) begin
        s_dev_arready = !rf_pend;
      end else begin
        m_mem_arvalid = s_dev_arvalid;
        m_mem_araddr = s_dev_araddr[55:0];
        m_mem_arid = s_dev_arid;
        m_mem_arsize = s_dev_arsize;
        m_mem_arlen = s_dev_arlen;
        m_mem_aruser = 1'b1;
        s_dev_arready = m_mem_arready;
      end
    end
  end

  logic        spur_r, spur_r_done;  // mode 7

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      rf_pend <= 1'b0;
      spur_r <= 1'b0;
      spur_r_done <= 1'b0;
    end else begin
      if (s_dev_arvalid && s_dev_arready && dev_ar_fault) begin
        rf_pend <= 1'b1;
        rf_id <= s_dev_arid;
      end
      if (rf_pend && s_dev_rready) rf_pend <= 1'b0;
      if (mode == 4'd7 && !spur_r_done && !rf_pend && !m_mem_rvalid) begin
        spur_r <= 1'b1;
        spur_r_done <= 1'b1;
      end
      if (spur_r && s_dev_rready) spur_r <= 1'b0;
    end
  end

  always_comb begin
    if (spur_r) begin
      s_dev_rvalid = 1'b1;
      s_dev_rdata = '0;
      s_dev_rid = 4'd9;
      s_dev_rresp = OKAY;
      s_dev_rlast = 1'b1;
      s_dev_ruser = '0;
      m_mem_rready = m_mem_rid[3];
    end else if (rf_pend) begin
      s_dev_rvalid = 1'b1;
      s_dev_rdata = '0;
      s_dev_rid = rf_id;
      s_dev_rresp = SLVERR;
      s_dev_rlast = 1'b1;
      s_dev_ruser = 12'd13;
      m_mem_rready = m_mem_rid[3];
    end else begin
      s_dev_rvalid = m_mem_rvalid && !m_mem_rid[3];
      s_dev_rdata = m_mem_rdata;
      s_dev_rid = m_mem_rid;
      s_dev_rresp = m_mem_rresp;
      s_dev_rlast = m_mem_rlast && mode != 4'd6;
      s_dev_ruser = '0;
      m_mem_rready = m_mem_rid[3] || s_dev_rready;
    end
  end

  // Ports the stub does not look at.
  logic unused;
  assign unused = ^{s_reg_awsize, s_reg_awlen, s_reg_wlast, s_reg_arsize, s_reg_arlen,
                    s_dev_awlen, s_dev_awuser, s_dev_wlast, s_dev_aruser, m_mem_rlast,
                    regs[9'h1E0][63:4]};
endmodule
