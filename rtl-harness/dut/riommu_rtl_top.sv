`include "riommu_pkg.svh"
// riommu_rtl_top: the project's own RISC-V IOMMU behind the DUT port contract
// of docs/rtl-harness.md. Structure (one concept per file):
//   riommu_regs      register file + AXI register port
//   riommu_dev_port  device AXI slave, in-order request FIFO, responses
//   riommu_xlate     translation engine (DDTC, IOTLB, riommu_ddt, riommu_ptw)
//   riommu_cq        command queue      riommu_fq    fault queue
//   riommu_intr      WSI levels and MSIs
//   riommu_mem_arb   the AXI memory master shared by all of them
// See README.md for the microarchitecture and its limits.
module riommu_rtl_top
  import riommu_pkg::*;
#(
`ifdef RIOMMU_RTL_VERIF
  // the verif_* straps replace the parameter block (sizes still come from it)
  // verilator lint_off UNUSEDPARAM
`endif
  // 0x10 version, Sv39/48/57, Svrsw60t59b, Svpbmt, AMO_HWAD, END, IGS=BOTH,
  // PAS=56, NL, S.
  parameter logic [63:0] CAPS          = 64'h0000_0C38_2900_CE10,
  parameter int          DDTP_RESET    = 0,
  parameter int          CQ_MAX_LOG2   = 15,
  parameter int          FQ_MAX_LOG2   = 15,
  parameter int          NUM_VEC       = 16,
  parameter int          IOTLB_ENTRIES = 16,
  parameter int          DDTC_ENTRIES  = 8,
  parameter int          DID_WIDTH     = 24,
  // ddtp.iommu_mode values a write may select (bit n: mode n; Off and Bare
  // are always legal): 1LVL, 2LVL, 3LVL.
  parameter logic [4:0]  DDT_MODES     = 5'h1C,
  // Nonzero: the PPN field of ddtp / cqb / fqb is hard-wired to this value.
  parameter logic [43:0] DDTP_FIXED_PPN = 44'h0,
  parameter logic [43:0] CQ_FIXED_PPN  = 44'h0,
  parameter logic [43:0] FQ_FIXED_PPN  = 44'h0,
  // Nonzero: switch in bug MUTANT of README.md "Mutants" (verification only).
  parameter int          MUTANT        = 0
`ifdef RIOMMU_RTL_VERIF
  // verilator lint_on UNUSEDPARAM
`endif
) (
  input  logic        clk,
  input  logic        rst_n,
`ifdef RIOMMU_RTL_VERIF
  // Verification build only (README.md "Configuration straps"): the
  // parameter block as inputs, held stable from before reset. A value
  // outside what the parameters allow (NUM_VEC vectors, 56-bit PAs) is
  // clamped by the logic that uses it.
  input  logic [7:0]  verif_mutant,
  input  logic [63:0] verif_caps,
  input  logic [4:0]  verif_ddt_modes,
  input  logic        verif_ddtp_reset_bare,
  input  logic [3:0]  verif_cq_max_log2,
  input  logic [3:0]  verif_fq_max_log2,
  input  logic [4:0]  verif_num_vec,
  input  logic [43:0] verif_ddtp_fixed_ppn,
  input  logic [43:0] verif_cq_fixed_ppn,
  input  logic [43:0] verif_fq_fixed_ppn,
`endif
  // register port
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
  // memory port
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
  // device port
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
  // ------------------------------------------------ implementation values
  cfg_t cfg;
`ifdef RIOMMU_RTL_VERIF
  assign cfg = '{mutant: verif_mutant, caps: verif_caps, ddt_modes: verif_ddt_modes,
                 ddtp_reset_bare: verif_ddtp_reset_bare, cq_max_log2: verif_cq_max_log2,
                 fq_max_log2: verif_fq_max_log2, num_vec: verif_num_vec,
                 ddtp_fixed_ppn: verif_ddtp_fixed_ppn, cq_fixed_ppn: verif_cq_fixed_ppn,
                 fq_fixed_ppn: verif_fq_fixed_ppn};
`else
  assign cfg = '{mutant: 8'(MUTANT), caps: CAPS, ddt_modes: DDT_MODES,
                 ddtp_reset_bare: (DDTP_RESET == 1), cq_max_log2: 4'(CQ_MAX_LOG2),
                 fq_max_log2: 4'(FQ_MAX_LOG2), num_vec: 5'(NUM_VEC),
                 ddtp_fixed_ppn: DDTP_FIXED_PPN, cq_fixed_ppn: CQ_FIXED_PPN,
                 fq_fixed_ppn: FQ_FIXED_PPN};
`endif

  // ------------------------------------------------------------ registers
  logic        fctl_be, fctl_wsi, cq_on, cq_stalled, fq_on, fq_stalled;
  logic [3:0]  ddtp_mode, ipsr, ipsr_set;
  logic [43:0] ddtp_ppn, cq_ppn, fq_ppn;
  logic [4:0]  cq_log2szm1, fq_log2szm1;
  logic [31:0] cqh, cqt, fqh, fqt;
  logic [15:0] icvec;
  logic [NUM_VEC-1:0][55:2] msi_addr;
  logic [NUM_VEC-1:0][31:0] msi_data;
  logic [NUM_VEC-1:0]       msi_mask;
  logic cq_head_inc, cq_set_cqmf, cq_set_ill, cq_set_fwip;
  logic fq_tail_inc, fq_set_fqof, fq_set_fqmf;
  logic unused_ok;  // cqh wraps inside riommu_regs; the command queue needs no size
  assign unused_ok = ^cq_log2szm1;

  riommu_regs #(.NUM_VEC(NUM_VEC)) u_regs (
    .clk, .rst_n, .cfg,
    .s_reg_awvalid, .s_reg_awready, .s_reg_awaddr, .s_reg_awid, .s_reg_awsize, .s_reg_awlen,
    .s_reg_wvalid, .s_reg_wready, .s_reg_wdata, .s_reg_wstrb, .s_reg_wlast,
    .s_reg_bvalid, .s_reg_bready, .s_reg_bid, .s_reg_bresp,
    .s_reg_arvalid, .s_reg_arready, .s_reg_araddr, .s_reg_arid, .s_reg_arsize, .s_reg_arlen,
    .s_reg_rvalid, .s_reg_rready, .s_reg_rdata, .s_reg_rid, .s_reg_rresp, .s_reg_rlast,
    .fctl_be, .fctl_wsi, .ddtp_mode, .ddtp_ppn,
    .cq_ppn, .cq_log2szm1, .cqh, .cqt, .cq_on, .cq_stalled,
    .fq_ppn, .fq_log2szm1, .fqh, .fqt, .fq_on, .fq_stalled,
    .ipsr, .ipsr_set, .icvec, .msi_addr, .msi_data, .msi_mask,
    .cq_head_inc, .cq_set_cqmf, .cq_set_ill, .cq_set_fwip,
    .fq_tail_inc, .fq_set_fqof, .fq_set_fqmf
  );

  // --------------------------------------------------------- memory port
  logic [MC_N-1:0]       mreq, mwe, mxl, mdone;
  logic [MC_N-1:0][55:0] maddr;
  logic [MC_N-1:0][63:0] mwdata;
  logic [MC_N-1:0][7:0]  mwstrb;
  logic [MC_N-1:0][2:0]  msize;
  logic [63:0]           mrdata;
  logic [1:0]            mresp;

  riommu_mem_arb #(.N(MC_N)) u_arb (
    .clk, .rst_n, .cfg,
    .req(mreq), .we(mwe), .addr(maddr), .wdata(mwdata), .wstrb(mwstrb), .size(msize),
    .xlated(mxl), .done(mdone), .rdata(mrdata), .resp(mresp),
    .m_mem_awvalid, .m_mem_awready, .m_mem_awaddr, .m_mem_awid, .m_mem_awsize, .m_mem_awlen,
    .m_mem_awburst, .m_mem_awuser, .m_mem_wvalid, .m_mem_wready, .m_mem_wdata, .m_mem_wstrb,
    .m_mem_wlast, .m_mem_bvalid, .m_mem_bready, .m_mem_bid, .m_mem_bresp,
    .m_mem_arvalid, .m_mem_arready, .m_mem_araddr, .m_mem_arid, .m_mem_arsize, .m_mem_arlen,
    .m_mem_arburst, .m_mem_aruser, .m_mem_rvalid, .m_mem_rready, .m_mem_rdata, .m_mem_rid,
    .m_mem_rresp, .m_mem_rlast
  );

  // Fixed attributes of the IOMMU's own accesses.
  assign mwe[MC_DDT] = 1'b0;  assign mwdata[MC_DDT] = '0; assign mwstrb[MC_DDT] = 8'hff;
  assign msize[MC_DDT] = 3'd3;
  assign mwstrb[MC_PTW] = 8'hff; assign msize[MC_PTW] = 3'd3;
  assign mwe[MC_FQ] = 1'b1;  assign mwstrb[MC_FQ] = 8'hff; assign msize[MC_FQ] = 3'd3;
  assign mwe[MC_MSI] = 1'b1; assign msize[MC_MSI] = 3'd2;
  always_comb begin
    mxl = '0;
    mxl[MC_DEV] = 1'b1;
  end

  // ------------------------------------------------------------ device port
  logic        rq_valid, rq_ready, rq_bad, rq_wr, rq_ex, rq_priv, rq_pv;
  logic [19:0] rq_pid;
  logic [23:0] rq_did;
  logic [63:0] rq_addr, rq_wdata;
  logic [2:0]  rq_size;
  logic [7:0]  rq_wstrb;
  logic        rs_valid;
  logic [63:0] rs_rdata;
  logic [1:0]  rs_resp;
  logic [11:0] rs_cause;

  riommu_dev_port #(.DID_WIDTH(DID_WIDTH)) u_dev (
    .clk, .rst_n, .cfg,
    .s_dev_awvalid, .s_dev_awready, .s_dev_awaddr, .s_dev_awid, .s_dev_awsize, .s_dev_awlen,
    .s_dev_awuser, .s_dev_wvalid, .s_dev_wready, .s_dev_wdata, .s_dev_wstrb, .s_dev_wlast,
    .s_dev_bvalid, .s_dev_bready, .s_dev_bid, .s_dev_bresp, .s_dev_buser,
    .s_dev_arvalid, .s_dev_arready, .s_dev_araddr, .s_dev_arid, .s_dev_arsize, .s_dev_arlen,
    .s_dev_aruser, .s_dev_rvalid, .s_dev_rready, .s_dev_rdata, .s_dev_rid, .s_dev_rresp,
    .s_dev_rlast, .s_dev_ruser,
    .rq_valid, .rq_ready, .rq_bad, .rq_wr, .rq_ex, .rq_priv, .rq_pv, .rq_pid, .rq_did,
    .rq_addr, .rq_size, .rq_wdata, .rq_wstrb,
    .rs_valid, .rs_rdata, .rs_resp, .rs_cause
  );

  // ------------------------------------------------------ translation
  logic        fr_valid, fr_ready, fr_pv, fr_priv;
  logic [11:0] fr_cause;
  logic [5:0]  fr_ttyp;
  logic [23:0] fr_did;
  logic [19:0] fr_pid;
  logic [63:0] fr_iotval;
  logic        sy_valid, sy_av, sy_pscv, sy_gv, sy_dv, sy_ack;
  logic [1:0]  sy_kind;
  logic [19:0] sy_pscid;
  logic [44:0] sy_vpn;
  logic [23:0] sy_did;

  riommu_xlate #(
    .IOTLB_ENTRIES(IOTLB_ENTRIES), .DDTC_ENTRIES(DDTC_ENTRIES)
  ) u_xlate (
    .clk, .rst_n, .cfg, .ddtp_mode, .ddtp_ppn, .fctl_be,
    .rq_valid, .rq_ready, .rq_bad, .rq_wr, .rq_ex, .rq_priv, .rq_pv, .rq_pid, .rq_did,
    .rq_addr, .rq_size, .rq_wdata, .rq_wstrb,
    .rs_valid, .rs_rdata, .rs_resp, .rs_cause,
    .fr_valid, .fr_ready, .fr_cause, .fr_ttyp, .fr_did, .fr_pv, .fr_pid, .fr_priv, .fr_iotval,
    .sy_valid, .sy_kind, .sy_av, .sy_pscv, .sy_gv, .sy_pscid, .sy_vpn, .sy_dv, .sy_did, .sy_ack,
    .ddt_mreq(mreq[MC_DDT]), .ddt_maddr(maddr[MC_DDT]), .ddt_mdone(mdone[MC_DDT]),
    .ptw_mreq(mreq[MC_PTW]), .ptw_mwe(mwe[MC_PTW]), .ptw_maddr(maddr[MC_PTW]),
    .ptw_mwdata(mwdata[MC_PTW]), .ptw_mdone(mdone[MC_PTW]),
    .dev_mreq(mreq[MC_DEV]), .dev_mwe(mwe[MC_DEV]), .dev_maddr(maddr[MC_DEV]),
    .dev_mwdata(mwdata[MC_DEV]), .dev_mwstrb(mwstrb[MC_DEV]), .dev_msize(msize[MC_DEV]),
    .dev_mdone(mdone[MC_DEV]), .mrdata, .mresp
  );

  // ------------------------------------------------------ command queue
  riommu_cq u_cq (
    .clk, .rst_n, .cfg, .cq_on, .cq_stalled, .cq_ppn, .cqh, .cqt, .fctl_be, .fctl_wsi,
    .head_inc(cq_head_inc), .set_cqmf(cq_set_cqmf), .set_ill(cq_set_ill), .set_fwip(cq_set_fwip),
    .sy_valid, .sy_kind, .sy_av, .sy_pscv, .sy_gv, .sy_pscid, .sy_vpn, .sy_dv, .sy_did, .sy_ack,
    .mreq(mreq[MC_CQ]), .mwe(mwe[MC_CQ]), .maddr(maddr[MC_CQ]), .mwdata(mwdata[MC_CQ]),
    .mwstrb(mwstrb[MC_CQ]), .msize(msize[MC_CQ]), .mdone(mdone[MC_CQ]), .mrdata, .mresp
  );

  // ------------------------------------------------ fault queue, interrupts
  logic        mf_valid, mf_ready;
  logic [55:0] mf_addr;

  riommu_fq u_fq (
    .clk, .rst_n, .cfg, .fq_on, .fq_stalled, .fq_ppn, .fq_log2szm1, .fqh, .fqt, .fctl_be,
    .tail_inc(fq_tail_inc), .set_fqof(fq_set_fqof), .set_fqmf(fq_set_fqmf),
    .fr_valid, .fr_ready, .fr_cause, .fr_ttyp, .fr_did, .fr_pv, .fr_pid, .fr_priv, .fr_iotval,
    .mf_valid, .mf_ready, .mf_addr,
    .mreq(mreq[MC_FQ]), .maddr(maddr[MC_FQ]), .mwdata(mwdata[MC_FQ]),
    .mdone(mdone[MC_FQ]), .mresp
  );

  riommu_intr #(.NUM_VEC(NUM_VEC)) u_intr (
    .clk, .rst_n, .cfg, .ipsr, .ipsr_set, .icvec, .fctl_wsi, .msi_addr, .msi_data, .msi_mask, .wsi,
    .mf_valid, .mf_ready, .mf_addr,
    .mreq(mreq[MC_MSI]), .maddr(maddr[MC_MSI]), .mwdata(mwdata[MC_MSI]),
    .mwstrb(mwstrb[MC_MSI]), .mdone(mdone[MC_MSI]), .mresp
  );
endmodule
