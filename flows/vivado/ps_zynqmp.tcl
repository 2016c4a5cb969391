# Zynq UltraScale+ processing system (zynq_ultra_ps_e) for block_design.tcl.
# PYNQ's UltraScale+ images configure the HP ports 128 bits wide and clock the PL from pl_clk0.
array set sbn_ps {
    ip zynq_ultra_ps_e
    rule xilinx.com:bd_rule:zynq_ultra_ps_e
    automation {apply_board_preset "1"}
    pl_clock pl_clk0
    pl_reset pl_resetn0
    address_bits 64
}
# PS port -> {enable property, clock pin, data width property}
set sbn_ps_ports {
    M_AXI_HPM0_FPD {PSU__USE__M_AXI_GP0 maxihpm0_fpd_aclk PSU__MAXIGP0__DATA_WIDTH}
    M_AXI_HPM1_FPD {PSU__USE__M_AXI_GP1 maxihpm1_fpd_aclk PSU__MAXIGP1__DATA_WIDTH}
    M_AXI_HPM0_LPD {PSU__USE__M_AXI_GP2 maxihpm0_lpd_aclk PSU__MAXIGP2__DATA_WIDTH}
    S_AXI_HPC0_FPD {PSU__USE__S_AXI_GP0 saxihpc0_fpd_aclk PSU__SAXIGP0__DATA_WIDTH}
    S_AXI_HPC1_FPD {PSU__USE__S_AXI_GP1 saxihpc1_fpd_aclk PSU__SAXIGP1__DATA_WIDTH}
    S_AXI_HP0_FPD {PSU__USE__S_AXI_GP2 saxihp0_fpd_aclk PSU__SAXIGP2__DATA_WIDTH}
    S_AXI_HP1_FPD {PSU__USE__S_AXI_GP3 saxihp1_fpd_aclk PSU__SAXIGP3__DATA_WIDTH}
    S_AXI_HP2_FPD {PSU__USE__S_AXI_GP4 saxihp2_fpd_aclk PSU__SAXIGP4__DATA_WIDTH}
    S_AXI_HP3_FPD {PSU__USE__S_AXI_GP5 saxihp3_fpd_aclk PSU__SAXIGP5__DATA_WIDTH}
}

# CONFIG settings: pl_clk0 at the target (the PS picks the nearest divider it has), the data and
# control ports on and every other port off (board presets enable HPM1, whose clock would dangle).
proc sbn_ps_config {clock_mhz data_port data_width control_port} {
    global sbn_ps_ports
    set cfg [list CONFIG.PSU__FPGA_PL0_ENABLE 1 CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ $clock_mhz]
    dict for {port info} $sbn_ps_ports {
        lappend cfg CONFIG.[lindex $info 0] [expr {$port eq $data_port || $port eq $control_port}]
    }
    lappend cfg CONFIG.[lindex [dict get $sbn_ps_ports $data_port] 2] $data_width
    return $cfg
}
