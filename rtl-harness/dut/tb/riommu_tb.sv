// riommu_tb: a small self-checking testbench for riommu_rtl_top.
// Run (Verilator 5.006):
//   $ verilator --binary --timing -Wno-fatal -I.. -Mdir obj ../*.sv riommu_tb.sv --top-module riommu_tb
//   $ ./obj/Vriommu_tb
// A behavioural AXI memory answers the memory port (addresses at or above
// 0xF000_0000 answer SLVERR). Each check names the spec section it covers.
`timescale 1ns/1ps
module riommu_tb;
  localparam logic [63:0] CAPS = 64'h0000_0C38_2900_CE10;

  logic clk = 0, rst_n = 0;
  always #5 clk = ~clk;

  // register port
  logic s_reg_awvalid = 0, s_reg_awready; logic [11:0] s_reg_awaddr = 0; logic [3:0] s_reg_awid = 0;
  logic [2:0] s_reg_awsize = 0; logic [7:0] s_reg_awlen = 0;
  logic s_reg_wvalid = 0, s_reg_wready; logic [63:0] s_reg_wdata = 0; logic [7:0] s_reg_wstrb = 0;
  logic s_reg_wlast = 1;
  logic s_reg_bvalid, s_reg_bready = 1; logic [3:0] s_reg_bid; logic [1:0] s_reg_bresp;
  logic s_reg_arvalid = 0, s_reg_arready; logic [11:0] s_reg_araddr = 0; logic [3:0] s_reg_arid = 0;
  logic [2:0] s_reg_arsize = 0; logic [7:0] s_reg_arlen = 0;
  logic s_reg_rvalid, s_reg_rready = 1; logic [63:0] s_reg_rdata; logic [3:0] s_reg_rid;
  logic [1:0] s_reg_rresp; logic s_reg_rlast;
  // memory port
  logic m_mem_awvalid, m_mem_awready; logic [55:0] m_mem_awaddr; logic [3:0] m_mem_awid;
  logic [2:0] m_mem_awsize; logic [7:0] m_mem_awlen; logic [1:0] m_mem_awburst; logic [0:0] m_mem_awuser;
  logic m_mem_wvalid, m_mem_wready; logic [63:0] m_mem_wdata; logic [7:0] m_mem_wstrb; logic m_mem_wlast;
  logic m_mem_bvalid, m_mem_bready; logic [3:0] m_mem_bid; logic [1:0] m_mem_bresp;
  logic m_mem_arvalid, m_mem_arready; logic [55:0] m_mem_araddr; logic [3:0] m_mem_arid;
  logic [2:0] m_mem_arsize; logic [7:0] m_mem_arlen; logic [1:0] m_mem_arburst; logic [0:0] m_mem_aruser;
  logic m_mem_rvalid, m_mem_rready; logic [63:0] m_mem_rdata; logic [3:0] m_mem_rid;
  logic [1:0] m_mem_rresp; logic m_mem_rlast;
  // device port
  logic s_dev_awvalid = 0, s_dev_awready; logic [63:0] s_dev_awaddr = 0; logic [3:0] s_dev_awid = 0;
  logic [2:0] s_dev_awsize = 0; logic [7:0] s_dev_awlen = 0; logic [46:0] s_dev_awuser = 0;
  logic s_dev_wvalid = 0, s_dev_wready; logic [63:0] s_dev_wdata = 0; logic [7:0] s_dev_wstrb = 0;
  logic s_dev_wlast = 1;
  logic s_dev_bvalid, s_dev_bready = 1; logic [3:0] s_dev_bid; logic [1:0] s_dev_bresp;
  logic [11:0] s_dev_buser;
  logic s_dev_arvalid = 0, s_dev_arready; logic [63:0] s_dev_araddr = 0; logic [3:0] s_dev_arid = 0;
  logic [2:0] s_dev_arsize = 0; logic [7:0] s_dev_arlen = 0; logic [46:0] s_dev_aruser = 0;
  logic s_dev_rvalid, s_dev_rready = 1; logic [63:0] s_dev_rdata; logic [3:0] s_dev_rid;
  logic [1:0] s_dev_rresp; logic s_dev_rlast; logic [11:0] s_dev_ruser;
  logic [15:0] wsi;

  riommu_rtl_top #(.CAPS(CAPS)) dut (.*);

  // ------------------------------------------------ behavioural AXI memory
  logic [63:0] mem [longint];
  function automatic logic [63:0] rd64(input longint a);
    return mem.exists(a >> 3) ? mem[a >> 3] : 64'd0;
  endfunction
  task automatic wr64(input longint a, input logic [63:0] d);
    mem[a >> 3] = d;
  endtask

  logic r_busy = 0, aw_got = 0, w_got = 0, b_busy = 0;
  logic [55:0] r_addr, aw_addr; logic [3:0] r_id, aw_id; logic [63:0] w_data; logic [7:0] w_strb;
  int mem_writes_xlated = 0;
  assign m_mem_arready = !r_busy;
  assign m_mem_rvalid  = r_busy;
  assign m_mem_rdata   = rd64(longint'(r_addr));
  assign m_mem_rid     = r_id;
  assign m_mem_rresp   = (r_addr >= 56'hF000_0000) ? 2'b10 : 2'b00;
  assign m_mem_rlast   = 1'b1;
  assign m_mem_awready = !aw_got && !b_busy;
  assign m_mem_wready  = !w_got && !b_busy;
  assign m_mem_bvalid  = b_busy;
  assign m_mem_bid     = aw_id;
  assign m_mem_bresp   = (aw_addr >= 56'hF000_0000) ? 2'b10 : 2'b00;
  always @(posedge clk) begin
    if ($test$plusargs("trace") && s_reg_awvalid && s_reg_awready) $display("%0t REGW %h sz%0d %h", $time, s_reg_awaddr, s_reg_awsize, s_reg_wdata);
    if ($test$plusargs("trace") && m_mem_arvalid && m_mem_arready) $display("%0t AR id%0d %h", $time, m_mem_arid, m_mem_araddr);
    if ($test$plusargs("trace") && m_mem_awvalid && m_mem_awready) $display("%0t AW id%0d %h", $time, m_mem_awid, m_mem_awaddr);
    if ($test$plusargs("trace") && m_mem_rvalid && m_mem_rready) $display("%0t R  %h %0d", $time, m_mem_rdata, m_mem_rresp);
    if (m_mem_arvalid && m_mem_arready) begin r_busy <= 1; r_addr <= m_mem_araddr; r_id <= m_mem_arid; end
    if (m_mem_rvalid && m_mem_rready) r_busy <= 0;
    if (m_mem_awvalid && m_mem_awready) begin aw_got <= 1; aw_addr <= m_mem_awaddr; aw_id <= m_mem_awid;
      if (m_mem_awuser[0]) mem_writes_xlated++; end
    if (m_mem_wvalid && m_mem_wready) begin w_got <= 1; w_data <= m_mem_wdata; w_strb <= m_mem_wstrb; end
    if (aw_got && w_got && !b_busy) begin
      logic [63:0] o;
      o = rd64(longint'(aw_addr));
      for (int i = 0; i < 8; i++) if (w_strb[i]) o[i*8 +: 8] = w_data[i*8 +: 8];
      if (aw_addr < 56'hF000_0000) wr64(longint'(aw_addr), o);
      b_busy <= 1;
    end
    if (b_busy && m_mem_bready) begin b_busy <= 0; aw_got <= 0; w_got <= 0; end
  end

  // ------------------------------------------------------------- helpers
  int errors = 0;
  task automatic check(input string what, input logic [63:0] got, input logic [63:0] exp);
    if (got !== exp) begin
      $display("FAIL %s: got %h expected %h", what, got, exp);
      errors++;
    end else $display("ok   %s", what);
  endtask

  task automatic reg_wr(input logic [11:0] a, input logic [63:0] d, input int sz = 3);
    @(negedge clk);
    s_reg_awvalid = 1; s_reg_awaddr = a; s_reg_awsize = 3'(sz);
    s_reg_wvalid = 1; s_reg_wdata = (sz == 2 && a[2]) ? {d[31:0], 32'd0} : d;
    #1; while (!s_reg_awready) begin @(negedge clk); #1; end
    @(posedge clk); #1; s_reg_awvalid = 0; s_reg_wvalid = 0;
    while (!s_reg_bvalid) begin @(negedge clk); end
    @(posedge clk); #1;
  endtask

  task automatic reg_rd(input logic [11:0] a, output logic [63:0] d, input int sz = 3);
    @(negedge clk);
    s_reg_arvalid = 1; s_reg_araddr = a; s_reg_arsize = 3'(sz);
    #1; while (!s_reg_arready) begin @(negedge clk); #1; end
    @(posedge clk); #1; s_reg_arvalid = 0;
    while (!s_reg_rvalid) begin @(negedge clk); end
    d = (sz == 2) ? (a[2] ? s_reg_rdata[63:32] : {32'd0, s_reg_rdata[31:0]}) : s_reg_rdata;
    @(posedge clk); #1;
  endtask

  function automatic logic [46:0] user(input logic [23:0] did, input logic priv = 0);
    return {1'b0, priv, 1'b0, 20'd0, did};
  endfunction

  task automatic dev_rd(input logic [63:0] a, input logic [46:0] u, output logic [63:0] d,
                        output logic [1:0] resp, output logic [11:0] cause, input int len = 0);
    @(negedge clk);
    s_dev_arvalid = 1; s_dev_araddr = a; s_dev_arsize = 3; s_dev_arlen = 8'(len); s_dev_aruser = u;
    #1; while (!s_dev_arready) begin @(negedge clk); #1; end
    @(posedge clk); #1; s_dev_arvalid = 0;
    while (!s_dev_rvalid) begin @(negedge clk); end
    d = s_dev_rdata; resp = s_dev_rresp; cause = s_dev_ruser;
    @(posedge clk); #1;
  endtask

  task automatic dev_wr(input logic [63:0] a, input logic [46:0] u, input logic [63:0] wd,
                        output logic [1:0] resp, output logic [11:0] cause);
    @(negedge clk);
    s_dev_awvalid = 1; s_dev_awaddr = a; s_dev_awsize = 3; s_dev_awlen = 0; s_dev_awuser = u;
    #1; while (!s_dev_awready) begin @(negedge clk); #1; end
    @(posedge clk); #1; s_dev_awvalid = 0;
    s_dev_wvalid = 1; s_dev_wdata = wd; s_dev_wstrb = 8'hff;
    #1; while (!s_dev_wready) begin @(negedge clk); #1; end
    @(posedge clk); #1; s_dev_wvalid = 0;
    while (!s_dev_bvalid) begin @(negedge clk); end
    resp = s_dev_bresp; cause = s_dev_buser;
    @(posedge clk); #1;
  endtask

  // Put a command at the command-queue tail and wait until cqh passes it.
  logic [31:0] cq_tail = 0;
  task automatic cq_cmd(input logic [63:0] w0, input logic [63:0] w1);
    logic [63:0] h;
    wr64(64'h10000 + 64'(cq_tail) * 16, w0);
    wr64(64'h10000 + 64'(cq_tail) * 16 + 8, w1);
    cq_tail = (cq_tail + 1) % 16;
    reg_wr(12'h024, 64'(cq_tail), 2);
    for (int i = 0; i < 200; i++) begin
      reg_rd(12'h020, h, 2);
      if (h[31:0] == cq_tail) break;
    end
    check("command consumed (cqh == cqt)", h, 64'(cq_tail));
  endtask

  logic [63:0] v, d;
  logic [1:0]  resp;
  logic [11:0] cause;

  initial begin
    repeat (10) @(posedge clk);
    rst_n = 1;
    repeat (2) @(posedge clk);

    // iommu_registers.adoc "Reset behavior" and "capabilities"
    reg_rd(12'h000, v); check("capabilities = CAPS", v, CAPS);
    reg_rd(12'h008, v, 2); check("fctl resets to 0", v, 0);
    reg_rd(12'h010, v); check("ddtp resets to Off", v, 0);
    reg_rd(12'h048, v, 2); check("cqcsr resets to 0", v, 0);
    reg_rd(12'h054, v, 2); check("ipsr resets to 0", v, 0);
    reg_rd(12'h30c, v, 2); check("msi_vec_ctl.M resets to 1", v, 1);

    // "Device-directory-table pointer": ddtp WARL
    reg_wr(12'h010, (64'h30 << 10) | 2);
    reg_rd(12'h010, v); check("ddtp 1LVL + PPN reads back", v, (64'h30 << 10) | 2);
    reg_wr(12'h010, (64'h77 << 10) | 7);
    reg_rd(12'h010, v); check("ddtp reserved mode write ignored", v, (64'h30 << 10) | 2);
    reg_wr(12'h010, (64'h30 << 10) | 3);
    reg_rd(12'h010, v); check("ddtp 1LVL -> 2LVL ignored", v, (64'h30 << 10) | 2);
    reg_wr(12'h010, 0);
    reg_rd(12'h010, v); check("ddtp -> Off", v, 0);

    // "Process to translate an IOVA" step 1: Off -> cause 256
    dev_rd(64'h1000, user(5), d, resp, cause);
    check("ddtp Off: SLVERR", 64'(resp), 2); check("ddtp Off: cause 256", 64'(cause), 256);

    // Queues: cqb (LOG2SZ-1 = 3: 16 entries) at 0x10000, fqb (16) at 0x50000
    reg_wr(12'h018, (64'h10 << 10) | 3);
    reg_wr(12'h028, (64'h50 << 10) | 3);
    reg_wr(12'h024, 64'hffff, 2);
    reg_rd(12'h024, v, 2); check("cqt masked to LOG2SZ", v, 64'hf);
    reg_wr(12'h024, 0, 2);
    reg_wr(12'h048, 64'h3, 2);             // cqen, cie
    reg_wr(12'h04c, 64'h3, 2);             // fqen, fie
    reg_rd(12'h048, v, 2); check("cqcsr cqon", v & 64'h10003, 64'h10003);

    // "IOFENCE.C" with AV: DATA written to ADDR
    cq_cmd({32'hCAFEBABE, 18'd0, 1'b0, 1'b0, 1'b0, 1'b1, 3'd0, 7'd2}, 64'h20000 >> 2);
    check("IOFENCE.C AV wrote DATA", rd64(64'h20000) & 64'hffffffff, 64'hCAFEBABE);
    cq_cmd({32'h12345678, 18'd0, 1'b0, 1'b0, 1'b0, 1'b1, 3'd0, 7'd2}, 64'h20004 >> 2);
    check("IOFENCE.C AV upper lane", rd64(64'h20000), 64'h12345678_CAFEBABE);

    // 1-level DDT at 0x30000, DC for device 5 (base format): Sv39, PSCID 7
    wr64(64'h30000 + 5 * 32 + 0,  64'h1);                       // tc.V
    wr64(64'h30000 + 5 * 32 + 8,  64'h0);                       // iohgatp Bare
    wr64(64'h30000 + 5 * 32 + 16, 64'(7) << 12);                // ta.PSCID
    wr64(64'h30000 + 5 * 32 + 24, (64'h8 << 60) | 64'h40);      // fsc Sv39, root 0x40000
    // Sv39: VA 0x12345000 -> PA 0x80000 (user page, R W A D)
    wr64(64'h40000 + 0 * 8, (64'h41 << 10) | 1);
    wr64(64'h41000 + 64'h91 * 8, (64'h42 << 10) | 1);
    wr64(64'h42000 + 64'h145 * 8, (64'h80 << 10) | 64'hD7);
    // VA 0x12346000: leaf with A = 0 (SADE = 0 -> page fault)
    wr64(64'h42000 + 64'h146 * 8, (64'h81 << 10) | 64'h17);
    wr64(64'h80010, 64'h11223344_55667788);
    reg_wr(12'h010, (64'h30 << 10) | 2);

    dev_rd(64'h12345010, user(5), d, resp, cause);
    check("DMA read translated: OKAY", 64'(resp), 0);
    check("DMA read data", d, 64'h11223344_55667788);
    dev_wr(64'h12345018, user(5), 64'hA5A5_0000_5A5A_FFFF, resp, cause);
    check("DMA write translated: OKAY", 64'(resp), 0);
    check("DMA write landed at PA", rd64(64'h80018), 64'hA5A5_0000_5A5A_FFFF);
    check("translated writes carry user[0]", 64'(mem_writes_xlated), 1);

    // "Faults from virtual address translation" + fault record
    dev_rd(64'h50000000, user(5), d, resp, cause);
    check("unmapped: SLVERR", 64'(resp), 2); check("unmapped: cause 13", 64'(cause), 13);
    repeat (40) @(posedge clk);  // the record is written after the response
    reg_rd(12'h034, v, 2); check("fqt advanced", v, 1);
    check("record: cause/TTYP/DID", rd64(64'h50000), {24'd5, 6'd2, 1'b0, 1'b0, 20'd0, 12'd13});
    check("record: iotval", rd64(64'h50010), 64'h50000000);
    reg_rd(12'h054, v, 2); check("ipsr.fip", v & 2, 2);
    dev_wr(64'h12346000, user(5), 64'h0, resp, cause);
    check("A=0 without SADE: cause 15", 64'(cause), 15);
    dev_rd(64'h12345010, user(5, 1), d, resp, cause);
    check("S-mode access to U page: cause 13", 64'(cause), 13);
    dev_rd(64'h0000_8000_1234_5010, user(5), d, resp, cause);
    check("non-canonical: cause 13", 64'(cause), 13);
    dev_rd(64'h12345010, user(6), d, resp, cause);
    check("DC not valid: cause 258", 64'(cause), 258);
    dev_rd(64'h12345010, user(24'h800), d, resp, cause);
    check("device_id too wide for 1LVL: cause 260", 64'(cause), 260);
    dev_rd(64'h12345010, user(5), d, resp, cause, 1);
    check("len != 0: DECERR", 64'(resp), 3);

    // IOTLB: a changed PTE is used only after IOTINVAL.VMA (PSCV, AV)
    wr64(64'h42000 + 64'h145 * 8, (64'h90 << 10) | 64'hD7);
    wr64(64'h90010, 64'hDEAD_BEEF_0000_0001);
    dev_rd(64'h12345010, user(5), d, resp, cause);
    check("stale IOTLB entry still used", d, 64'h11223344_55667788);
    cq_cmd({4'd0, 16'd0, 9'd0, 1'b0, 1'b0, 1'b1, 20'd7, 1'b0, 1'b1, 3'd0, 7'd1},
           {2'd0, 52'h12345, 1'b0, 9'd0});
    dev_rd(64'h12345010, user(5), d, resp, cause);
    check("after IOTINVAL.VMA: new mapping", d, 64'hDEAD_BEEF_0000_0001);

    // Device 9: SADE = 1, PSCID 8, root 0x60000. "IOMMU updating of PTE A
    // and D", superpages, Svnapot.
    wr64(64'h30000 + 9 * 32 + 0,  64'h101);                     // tc.V, tc.SADE
    wr64(64'h30000 + 9 * 32 + 16, 64'(8) << 12);
    wr64(64'h30000 + 9 * 32 + 24, (64'h8 << 60) | 64'h60);
    wr64(64'h60000, (64'h61 << 10) | 1);
    wr64(64'h61000 + 2 * 8, (64'h200 << 10) | 64'h17);          // 2 MiB leaf, A = D = 0
    wr64(64'h61000 + 3 * 8, (64'h201 << 10) | 64'hD7);          // misaligned superpage
    wr64(64'h61000 + 4 * 8, (64'h62 << 10) | 1);
    wr64(64'h62000 + 64'h13 * 8, (64'h1 << 63) | (64'h308 << 10) | 64'hD7);  // NAPOT 64 KiB
    dev_wr(64'h00412008, user(9), 64'h0BAD_F00D, resp, cause);
    check("2 MiB superpage write: OKAY", 64'(resp), 0);
    check("2 MiB superpage write landed", rd64(64'h212008), 64'h0BAD_F00D);
    check("A and D set by the IOMMU", rd64(64'h61000 + 2 * 8), (64'h200 << 10) | 64'hD7);
    dev_rd(64'h00600000, user(9), d, resp, cause);
    check("misaligned superpage: cause 13", 64'(cause), 13);
    wr64(64'h303018, 64'h4E4150_4F54);
    dev_rd(64'h00813018, user(9), d, resp, cause);
    check("Svnapot 64 KiB page", d, 64'h4E4150_4F54);

    // MSI for fip through msi_cfg_tbl[2] ("msi_cfg_tbl", "icvec")
    reg_wr(12'h2f8, 64'h20);                                    // fiv = 2
    reg_wr(12'h320, 64'h70000);
    reg_wr(12'h328, 64'h55, 2);
    reg_wr(12'h32c, 64'h0, 2);                                  // unmask
    repeat (60) @(posedge clk);                                 // earlier records land
    reg_wr(12'h054, 64'h2, 2);                                  // clear fip
    reg_rd(12'h054, v, 2); check("fip cleared", v & 2, 0);
    dev_rd(64'h50000000, user(5), d, resp, cause);
    repeat (60) @(posedge clk);
    check("MSI written on fip", rd64(64'h70000), 64'h55);

    // 2-level DDT via Off, then IODIR.INVAL_DDT (DV = 1)
    reg_wr(12'h010, 0);
    reg_wr(12'h010, (64'h31 << 10) | 3);
    wr64(64'h31000 + 3 * 8, (64'h32 << 10) | 1);
    for (int i = 0; i < 4; i++) wr64(64'h32000 + 5 * 32 + 8 * i, rd64(64'h30000 + 5 * 32 + 8 * i));
    dev_rd(64'h12345010, user(24'h185), d, resp, cause);
    check("2LVL DDT translation", d, 64'hDEAD_BEEF_0000_0001);
    wr64(64'h32000 + 5 * 32, 64'h0);                            // tc.V = 0
    dev_rd(64'h12345010, user(24'h185), d, resp, cause);
    check("DDTC still holds the context", 64'(resp), 0);
    cq_cmd({24'h185, 6'd0, 1'b1, 1'b0, 20'd0, 2'd0, 3'd0, 7'd3}, 64'd0);
    dev_rd(64'h12345010, user(24'h185), d, resp, cause);
    check("after IODIR.INVAL_DDT: cause 258", 64'(cause), 258);

    // Several requests in flight: three reads accepted before any response
    // (contract: responses return per ID in order).
    begin
      logic [63:0] exp [3];
      exp[0] = 64'hDEAD_BEEF_0000_0001; exp[1] = 64'h4E4150_4F54; exp[2] = 64'hDEAD_BEEF_0000_0001;
      s_dev_rready = 0;
      for (int i = 0; i < 3; i++) begin
        @(negedge clk);
        s_dev_arvalid = 1; s_dev_arsize = 3; s_dev_arlen = 0; s_dev_arid = 4'(i + 1);
        s_dev_araddr = (i == 1) ? 64'h00813018 : 64'h12345010;
        s_dev_aruser = user((i == 1) ? 24'd9 : 24'd5);
        #1; while (!s_dev_arready) begin @(negedge clk); #1; end
        @(posedge clk); #1; s_dev_arvalid = 0;
      end
      s_dev_rready = 1;
      for (int i = 0; i < 3; i++) begin
        while (!s_dev_rvalid) begin @(negedge clk); end
        check($sformatf("in-flight read %0d: id", i), 64'(s_dev_rid), 64'(i + 1));
        check($sformatf("in-flight read %0d: data", i), s_dev_rdata, exp[i]);
        @(posedge clk); #1;
      end
    end

    // Illegal command -> cmd_ill, cqh stays
    wr64(64'h10000 + 64'(cq_tail) * 16, 64'h7f);
    wr64(64'h10000 + 64'(cq_tail) * 16 + 8, 64'h0);
    reg_wr(12'h024, 64'(cq_tail + 1), 2);
    repeat (40) @(posedge clk);
    reg_rd(12'h048, v, 2); check("illegal command sets cmd_ill", v & 64'h400, 64'h400);
    reg_rd(12'h020, v, 2); check("cqh stays on the illegal command", v, 64'(cq_tail));
    reg_rd(12'h054, v, 2); check("ipsr.cip", v & 1, 1);

    if (errors == 0) $display("PASS riommu_tb");
    else $display("FAILED riommu_tb: %0d errors", errors);
    $finish;
  end

  initial begin
    #2000000;
    $display("FAIL timeout");
    $finish;
  end
endmodule
