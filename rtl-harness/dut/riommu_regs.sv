`include "riommu_pkg.svh"
// riommu_regs: the memory-mapped register file (iommu_registers.adoc) behind
// the AXI4 register port.
//
// Access rules (impl-defined, "Access size and alignment"): single beats of
// 4 bytes (size 2, data in the lane of addr[2]) or 8 bytes (size 3, aligned)
// to an 8-byte register or an msi_cfg_tbl data/vector-control pair. Anything
// else (len != 0, other sizes, misalignment, an 8-byte access spanning two
// 4-byte registers) is ignored and answered SLVERR (reads give 0). wstrb is
// not used: the lane is chosen by size and addr[2].
//
// Timing: queue enables and ddtp mode changes take effect at once, so the
// busy bits always read 0 ("may take some time ... busy" is optional).
// Optional registers (pq*, HPM, debug, iommu_qosid) read 0 and ignore
// writes; tr_req_ctl.Go therefore never sticks.
module riommu_regs
  import riommu_pkg::*;
#(
  parameter int          NUM_VEC     = 16   // msi_cfg_tbl entries built (cfg.num_vec used)
) (
  input  logic clk,
  input  logic rst_n,
  // verilator lint_off UNUSEDSIGNAL
  input  cfg_t cfg,  // riommu_pkg::cfg_t: parameters and mutant select
  // verilator lint_on UNUSEDSIGNAL
  // AXI4 slave
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
  // state for the engines
  output logic        fctl_be,
  output logic        fctl_wsi,
  output logic [3:0]  ddtp_mode,
  output logic [43:0] ddtp_ppn,
  output logic [43:0] cq_ppn,
  output logic [4:0]  cq_log2szm1,
  output logic [31:0] cqh,
  output logic [31:0] cqt,
  output logic        cq_on,
  output logic        cq_stalled,   // cqmf or cmd_ill set: the queue waits
  output logic [43:0] fq_ppn,
  output logic [4:0]  fq_log2szm1,
  output logic [31:0] fqh,
  output logic [31:0] fqt,
  output logic        fq_on,
  output logic        fq_stalled,   // fqmf or fqof set: records are dropped
  output logic [3:0]  ipsr,
  output logic [3:0]  ipsr_set,     // bits set in the last update (0 -> 1,
                                    // or cleared by software and set again)
  output logic [15:0] icvec,
  output logic [NUM_VEC-1:0][55:2] msi_addr,
  output logic [NUM_VEC-1:0][31:0] msi_data,
  output logic [NUM_VEC-1:0]       msi_mask,
  // events from the engines
  input  logic        cq_head_inc,
  input  logic        cq_set_cqmf,
  input  logic        cq_set_ill,
  input  logic        cq_set_fwip,
  input  logic        fq_tail_inc,
  input  logic        fq_set_fqof,
  input  logic        fq_set_fqmf
);
  // Implementation-defined values (riommu_pkg::cfg_t; constants in a
  // synthesizable build).
  logic [1:0]  IGS;
  logic        END;
  logic [5:0]  PAS;
  logic [43:0] PPN_MASK;     // PPN bits below 2^PAS
  logic [4:0]  NVEC;         // vectors, 1..NUM_VEC
  logic [3:0]  VMASK, VMAX;  // icvec field: bits that number NVEC vectors, largest
  assign IGS = cfg.caps[29:28];
  assign END = cfg.caps[27];
  assign PAS = cfg.caps[37:32];
  assign PPN_MASK = (PAS > 6'd12 && PAS < 6'd56) ? 44'((45'd1 << (PAS - 6'd12)) - 45'd1) : '1;
  assign NVEC = (cfg.num_vec == 5'd0) ? 5'd1 : (int'(cfg.num_vec) > NUM_VEC) ? 5'(NUM_VEC) : cfg.num_vec;
  assign VMAX = 4'(NVEC - 5'd1);
  always_comb begin
    VMASK = 4'd0;
    for (int b = 0; b < 4; b++) if ((5'd1 << b) < NVEC) VMASK[b] = 1'b1;
  end

  // ddtp.iommu_mode m may be written: Off, Bare, or a supported xLVL.
  function automatic logic ddt_mode_ok(input logic [3:0] m, input logic [4:0] modes);
    return (m <= DDTP_BARE) || (m <= DDTP_3LVL && modes[m[2:0]]);
  endfunction

  function automatic logic [31:0] qmask(input logic [4:0] l2m1);
    return 32'((33'd1 << (6'(l2m1) + 6'd1)) - 33'd1);
  endfunction

  function automatic logic [3:0] legal_vec(input logic [3:0] v);
    logic [3:0] m;
    m = v & VMASK;
    return ({1'b0, m} >= NVEC) ? VMAX : m;
  endfunction

  function automatic logic [4:0] clamp_log2(input logic [4:0] v, input int max);
    return (int'(v) > max) ? 5'(max) : v;
  endfunction

  // Is an 8-byte access to this doubleword allowed?
  function automatic logic dw_ok(input logic [11:3] a8);
    logic [11:0] a;
    a = {a8, 3'b000};
    case (a)
      12'h008, 12'h020, 12'h030, 12'h040, 12'h048, 12'h050, 12'h058, 12'h270: return 1'b0;
      default: return 1'b1;
    endcase
  endfunction

  function automatic logic acc_ok(input logic [11:0] a, input logic [2:0] sz, input logic [7:0] len);
    if (len != 8'd0) return 1'b0;
    if (sz == 3'd2) return a[1:0] == 2'b00;
    if (sz == 3'd3) return a[2:0] == 3'b000 && dw_ok(a[11:3]);
    return 1'b0;
  endfunction

  // ---------------------------------------------------------------- state
  logic        fctl_gxl;
  logic [15:0] icvec_q;
  logic        cqen, cie, cqmf, cmd_to, cmd_ill, fence_w_ip;
  logic        fqen, fie, fqmf, fqof;
  logic [3:0]  ipsr_q, ipsr_set_q;
  logic [NUM_VEC-1:0][55:2] msi_addr_q;
  logic [NUM_VEC-1:0][31:0] msi_data_q;
  logic [NUM_VEC-1:0]       msi_mask_q;

  assign fctl_gxl = 1'b0;  // fctl.GXL hard-wired 0 (no Sv32 / second stage)
  assign cq_on = cqen;
  assign fq_on = fqen;
  assign cq_stalled = cqmf | cmd_ill;
  assign fq_stalled = fqmf | fqof;
  assign ipsr  = ipsr_q;
  assign ipsr_set = ipsr_set_q;
  // mutant 25: civ and fiv fields swapped on the way to the interrupt logic
  assign icvec = `RIOMMU_MUT(25) ? {icvec_q[15:8], icvec_q[3:0], icvec_q[7:4]} : icvec_q;
  assign msi_addr = msi_addr_q;
  assign msi_data = msi_data_q;
  assign msi_mask = msi_mask_q;

  // ------------------------------------------------------------ read mux
  function automatic logic [63:0] read_dw(input logic [11:3] a8);
    logic [11:0] a;
    logic [63:0] d;
    a = {a8, 3'b000};
    d = '0;
    case (a)
      R_CAPS:  d = cfg.caps;
      R_FCTL:  d = {61'd0, fctl_gxl, fctl_wsi, fctl_be};
      R_DDTP:  d = {10'd0, ddtp_ppn, 6'd0, ddtp_mode};
      R_CQB:   d = {10'd0, cq_ppn, 5'd0, cq_log2szm1};
      R_CQH:   d = {cqt, cqh};
      R_FQB:   d = {10'd0, fq_ppn, 5'd0, fq_log2szm1};
      // mutant 1: fqh and fqt halves swapped (fqt read at 0x30, fqh at 0x34)
      R_FQH:   d = `RIOMMU_MUT(1) ? {fqh, fqt} : {fqt, fqh};
      // mutant 2: cqcsr.cmd_ill and cmd_to read from each other's bit
      R_CQCSR: d = {14'd0, 1'b0, fqen, 6'd0, fqof, fqmf, 6'd0, fie, fqen,
                    14'd0, 1'b0, cqen, 4'd0, fence_w_ip, `RIOMMU_MUT(2) ? cmd_to : cmd_ill,
                    `RIOMMU_MUT(2) ? cmd_ill : cmd_to, cqmf, 6'd0, cie, cqen};
      R_PQCSR: d = {28'd0, ipsr_q, 32'd0};
      R_ICVEC: d = {48'd0, icvec_q};
      default: begin
        if (a >= R_MSI_CFG && a < 12'h400 && {1'b0, a[7:4]} < NVEC && IGS != 2'd1) begin
          if (a[3] == 1'b0) d = {8'd0, msi_addr_q[a[7:4]], 2'b00};
          else              d = {31'd0, msi_mask_q[a[7:4]], msi_data_q[a[7:4]]};
        end
      end
    endcase
    return d;
  endfunction

  // ------------------------------------------------------- AXI handshake
  typedef enum logic [1:0] {P_IDLE, P_B, P_R} pstate_t;
  pstate_t pst;
  logic do_wr, do_rd, wr_ok, rd_ok;
  assign do_wr = (pst == P_IDLE) && s_reg_awvalid && s_reg_wvalid;
  assign do_rd = (pst == P_IDLE) && !do_wr && s_reg_arvalid;
  assign s_reg_awready = do_wr;
  assign s_reg_wready  = do_wr;
  assign s_reg_arready = do_rd;
  assign wr_ok = acc_ok(s_reg_awaddr, s_reg_awsize, s_reg_awlen);
  assign rd_ok = acc_ok(s_reg_araddr, s_reg_arsize, s_reg_arlen);
  assign s_reg_bvalid = (pst == P_B);
  assign s_reg_rvalid = (pst == P_R);
  assign s_reg_rlast  = 1'b1;
  logic [63:0] rd_dw;
  assign rd_dw = read_dw(s_reg_araddr[11:3]);

  logic unused_ok;
  assign unused_ok = ^{s_reg_wstrb, s_reg_wlast};

  // Which 32-bit halves of the addressed doubleword are written.
  logic        w_lo, w_hi;
  logic [11:3] wa8;
  logic [63:0] wd;
  assign wa8  = s_reg_awaddr[11:3];
  assign wd   = s_reg_wdata;
  assign w_lo = do_wr && wr_ok && (s_reg_awsize == 3'd3 || !s_reg_awaddr[2]);
  assign w_hi = do_wr && wr_ok && (s_reg_awsize == 3'd3 ||  s_reg_awaddr[2]);

  function automatic logic [63:0] merge(input logic [63:0] old, input logic [63:0] nw,
                                        input logic lo, input logic hi);
    return {hi ? nw[63:32] : old[63:32], lo ? nw[31:0] : old[31:0]};
  endfunction

  // ------------------------------------------------------------ registers
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      pst         <= P_IDLE;
      s_reg_bid   <= '0;
      s_reg_bresp <= '0;
      s_reg_rid   <= '0;
      s_reg_rresp <= '0;
      s_reg_rdata <= '0;
      fctl_be     <= 1'b0;
      fctl_wsi    <= (IGS == 2'd1);
      ddtp_mode   <= cfg.ddtp_reset_bare ? DDTP_BARE : DDTP_OFF;
      ddtp_ppn    <= cfg.ddtp_fixed_ppn;
      cq_ppn      <= cfg.cq_fixed_ppn;
      cq_log2szm1 <= '0;
      cqh         <= '0;
      cqt         <= '0;
      fq_ppn      <= cfg.fq_fixed_ppn;
      fq_log2szm1 <= '0;
      fqh         <= '0;
      fqt         <= '0;
      {cqen, cie, cqmf, cmd_to, cmd_ill, fence_w_ip} <= '0;
      {fqen, fie, fqmf, fqof} <= '0;
      ipsr_q      <= '0;
      ipsr_set_q  <= '0;
      icvec_q     <= '0;
      msi_addr_q  <= '0;
      msi_data_q  <= '0;
      msi_mask_q  <= '1;  // impl-defined: vectors reset masked (PCIe MSI-X)
    end else begin
      // ---- port
      case (pst)
        P_IDLE: begin
          if (do_wr) begin
            pst         <= P_B;
            s_reg_bid   <= s_reg_awid;
            s_reg_bresp <= wr_ok ? 2'b00 : 2'b10;
          end else if (do_rd) begin
            pst         <= P_R;
            // mutant 30: R echoes the last write's ID (the B channel's register)
            s_reg_rid   <= `RIOMMU_MUT(30) ? s_reg_bid : s_reg_arid;
            s_reg_rresp <= rd_ok ? 2'b00 : 2'b10;
            if (!rd_ok)                  s_reg_rdata <= '0;
            else if (s_reg_arsize == 3'd3) s_reg_rdata <= rd_dw;
            else if (s_reg_araddr[2])    s_reg_rdata <= {rd_dw[63:32], 32'd0};
            else                         s_reg_rdata <= {32'd0, rd_dw[31:0]};
          end
        end
        P_B: if (s_reg_bready) pst <= P_IDLE;
        P_R: if (s_reg_rready) pst <= P_IDLE;
        default: pst <= P_IDLE;
      endcase

      // ---- software writes
      if (w_lo || w_hi) begin
        case ({wa8, 3'b000})
          R_FCTL: if (w_lo && (ddtp_mode == DDTP_OFF || ddtp_mode == DDTP_BARE) && !cqen && !fqen) begin
            fctl_be  <= END ? wd[0] : 1'b0;
            // mutant 4: fctl.WSI written from bit 0 (BE's position)
            fctl_wsi <= (IGS == 2'd2) ? (`RIOMMU_MUT(4) ? wd[0] : wd[1]) : (IGS == 2'd1);
          end
          R_DDTP: begin : ddtp_wr
            /* verilator lint_off UNUSEDSIGNAL */  // c: merged image; reserved bits dropped
            logic [63:0] c;
            /* verilator lint_on UNUSEDSIGNAL */
            c = merge({10'd0, ddtp_ppn, 6'd0, ddtp_mode}, wd, w_lo, w_hi);
            if (!w_lo || c[3:0] == ddtp_mode) begin
              if (cfg.ddtp_fixed_ppn == '0) ddtp_ppn <= c[53:10] & PPN_MASK;
            end else if (ddt_mode_ok(c[3:0], cfg.ddt_modes) &&
                         !(ddtp_mode >= DDTP_1LVL && c[3:0] >= DDTP_1LVL)) begin
              ddtp_mode <= c[3:0];
              if (cfg.ddtp_fixed_ppn == '0) ddtp_ppn <= c[53:10] & PPN_MASK;
            end
          end
          R_CQB: if (!cqen) begin : cqb_wr
            /* verilator lint_off UNUSEDSIGNAL */  // c: merged image; reserved bits dropped
            logic [63:0] c;
            /* verilator lint_on UNUSEDSIGNAL */
            logic [4:0]  l;
            c = merge({10'd0, cq_ppn, 5'd0, cq_log2szm1}, wd, w_lo, w_hi);
            l = clamp_log2(c[4:0], int'(cfg.cq_max_log2));
            if (cfg.cq_fixed_ppn == '0) cq_ppn <= c[53:10] & PPN_MASK;
            cq_log2szm1 <= l;
            cqt         <= cqt & qmask(l);
            cqh         <= cqh & qmask(l);
          end
          R_CQH: if (w_hi) cqt <= wd[63:32] & qmask(cq_log2szm1);
          R_FQB: if (!fqen) begin : fqb_wr
            /* verilator lint_off UNUSEDSIGNAL */  // c: merged image; reserved bits dropped
            logic [63:0] c;
            /* verilator lint_on UNUSEDSIGNAL */
            logic [4:0]  l;
            c = merge({10'd0, fq_ppn, 5'd0, fq_log2szm1}, wd, w_lo, w_hi);
            l = clamp_log2(c[4:0], int'(cfg.fq_max_log2));
            if (cfg.fq_fixed_ppn == '0) fq_ppn <= c[53:10] & PPN_MASK;
            fq_log2szm1 <= l;
            fqt         <= fqt & qmask(l);
            fqh         <= fqh & qmask(l);
          end
          R_FQH: if (w_lo) fqh <= wd[31:0] & qmask(fq_log2szm1);
          R_CQCSR: begin
            if (w_lo) begin
              cqen <= wd[0];
              cie  <= wd[1];
              if (wd[8])  cqmf       <= 1'b0;
              if (wd[9])  cmd_to     <= 1'b0;
              if (wd[10]) cmd_ill    <= 1'b0;
              if (wd[11]) fence_w_ip <= 1'b0;
              if (!cqen && wd[0]) begin
                if (!`RIOMMU_MUT(19)) cqh <= '0;  // mutant 19: cqen 0 -> 1 keeps the old cqh
                {cqmf, cmd_to, cmd_ill, fence_w_ip} <= '0;
              end
            end
            if (w_hi) begin
              fqen <= wd[32];
              fie  <= wd[33];
              if (wd[40]) fqmf <= 1'b0;
              if (wd[41]) fqof <= 1'b0;
              if (!fqen && wd[32]) begin
                fqt <= '0;
                {fqmf, fqof} <= '0;
              end
            end
          end
          R_ICVEC: if (w_lo) icvec_q <= {legal_vec(wd[15:12]), legal_vec(wd[11:8]),
                                         legal_vec(wd[7:4]), legal_vec(wd[3:0])};
          default: begin
            if (wa8 >= 9'(R_MSI_CFG >> 3) && wa8 < 9'h080 && {1'b0, wa8[7:4]} < NVEC && IGS != 2'd1) begin
              if (wa8[3] == 1'b0) begin : msi_wr
                /* verilator lint_off UNUSEDSIGNAL */  // c: merged image; reserved bits dropped
            logic [63:0] c;
            /* verilator lint_on UNUSEDSIGNAL */
                c = merge({8'd0, msi_addr_q[wa8[7:4]], 2'b00}, wd, w_lo, w_hi);
                msi_addr_q[wa8[7:4]] <= c[55:2];
              end else begin
                if (w_lo) msi_data_q[wa8[7:4]] <= wd[31:0];
                if (w_hi) msi_mask_q[wa8[7:4]] <= wd[32];
              end
            end
          end
        endcase
      end

      // ---- events from the engines (after software writes: hardware wins)
      // mutant 18: cqh wraps at twice the queue size
      if (cq_head_inc) cqh <= (cqh + 32'd1) & qmask(cq_log2szm1 + (`RIOMMU_MUT(18) ? 5'd1 : 5'd0));
      if (cq_set_cqmf) cqmf <= 1'b1;
      if (cq_set_ill)  cmd_ill <= 1'b1;
      if (cq_set_fwip) fence_w_ip <= 1'b1;
      if (fq_tail_inc) fqt <= (fqt + 32'd1) & qmask(fq_log2szm1);
      if (fq_set_fqof) fqof <= 1'b1;
      if (fq_set_fqmf) fqmf <= 1'b1;

      // ---- ipsr: RW1C; a condition that still holds sets its bit again
      // (impl-defined choice 20 of docs/spec-compliance.md). fip also
      // latches when a record is written.
      begin : ipsr_upd
        logic [3:0] nx, clr;
        nx = ipsr_q;
        // mutant 3: the W1C mask is taken from the low lane, not ipsr's (0x54)
        if (do_wr && wr_ok && {wa8, 3'b000} == R_PQCSR && w_hi)
          nx = nx & ~(`RIOMMU_MUT(3) ? wd[3:0] : wd[35:32]);
        clr = nx;
        if (cie && (cqmf || cmd_to || cmd_ill || fence_w_ip)) nx[0] = 1'b1;
        // mutant 26: a written record does not set fip (only fqmf / fqof do)
        if (fie && (fqmf || fqof || (fq_tail_inc && !`RIOMMU_MUT(26)))) nx[1] = 1'b1;
        nx[3:2] = 2'b00;  // no HPM overflow, no page-request queue
        // A bit software clears while its condition holds is set again:
        // that is a new setting and interrupts again (an MSI; WSI stays a
        // level), as a 0 -> 1 change does.
        ipsr_set_q <= nx & ~clr;
        ipsr_q <= nx;
      end
    end
  end
endmodule
