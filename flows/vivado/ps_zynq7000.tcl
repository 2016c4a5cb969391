# Zynq-7000 processing system (processing_system7) for block_design.tcl.
# PYNQ's Zynq-7000 images configure the HP ports 64 bits wide and clock the PL from FCLK_CLK0.
array set sbn_ps {
    ip processing_system7
    rule xilinx.com:bd_rule:processing_system7
    automation {make_external "FIXED_IO, DDR" apply_board_preset "1" Master "Disable" Slave "Disable"}
    pl_clock FCLK_CLK0
    pl_reset FCLK_RESET0_N
    address_bits 32
}
# PS port -> {enable property, clock pin, data width property ({} = fixed)}
set sbn_ps_ports {
    M_AXI_GP0 {PCW_USE_M_AXI_GP0 M_AXI_GP0_ACLK {}}
    M_AXI_GP1 {PCW_USE_M_AXI_GP1 M_AXI_GP1_ACLK {}}
    S_AXI_HP0 {PCW_USE_S_AXI_HP0 S_AXI_HP0_ACLK PCW_S_AXI_HP0_DATA_WIDTH}
    S_AXI_HP1 {PCW_USE_S_AXI_HP1 S_AXI_HP1_ACLK PCW_S_AXI_HP1_DATA_WIDTH}
    S_AXI_HP2 {PCW_USE_S_AXI_HP2 S_AXI_HP2_ACLK PCW_S_AXI_HP2_DATA_WIDTH}
    S_AXI_HP3 {PCW_USE_S_AXI_HP3 S_AXI_HP3_ACLK PCW_S_AXI_HP3_DATA_WIDTH}
    S_AXI_ACP {PCW_USE_S_AXI_ACP S_AXI_ACP_ACLK {}}
}

# CONFIG settings: the PL clock, the data and control ports on (every other port off, so no
# port is left without a clock), the data port's width.
proc sbn_ps_config {clock_mhz data_port data_width control_port} {
    global sbn_ps_ports
    set cfg [list CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ $clock_mhz CONFIG.PCW_EN_CLK0_PORT 1 CONFIG.PCW_EN_RST0_PORT 1]
    dict for {port info} $sbn_ps_ports {
        lappend cfg CONFIG.[lindex $info 0] [expr {$port eq $data_port || $port eq $control_port}]
    }
    set width_prop [lindex [dict get $sbn_ps_ports $data_port] 2]
    if {$width_prop ne ""} {
        lappend cfg CONFIG.$width_prop $data_width
    }
    return $cfg
}
