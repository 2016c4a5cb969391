# The Zynq design PYNQ loads: PS (board preset) -> AXI DMA through the HP port, AXI-Lite control of
# the DMA and the accelerator through the general-purpose port, one PL clock, one reset.
#
#   DDR <-> PS data port <- axi_smc <- axi_dma M_AXI_MM2S / M_AXI_S2MM
#   axi_dma M_AXIS_MM2S -> accelerator s_axis ; accelerator m_axis (TLAST) -> axi_dma S_AXIS_S2MM
#   PS control port -> axi_ctrl -> accelerator s_axi, axi_dma S_AXI_LITE
#
# Cell names are what PYNQ's Overlay shows: overlay.<accel_cell>, overlay.<dma_cell>.

if {[info exists ::env(SBN_BOARD_REPO)]} {
    # Board files that Vivado does not ship (PYNQ-Z1/Z2, Ultra96-V2) live in a folder of their own.
    set_param board.repoPaths [concat [get_param board.repoPaths] [list $::env(SBN_BOARD_REPO)]]
}
create_project -force $sbn(project) $sbn(project_dir) -part $sbn(part)
if {[llength [get_board_parts -quiet $sbn(board_part)]] == 0} {
    error "sbn-hw: Vivado does not know board part $sbn(board_part): install its board files ($sbn(board_files)) and set SBN_BOARD_REPO to their folder"
}
set_property board_part $sbn(board_part) [current_project]
set_property ip_repo_paths [list [file normalize ip_repo]] [current_project]
update_ip_catalog -rebuild
create_bd_design $sbn(bd)

# Processing system with the board's preset (DDR, MIO, clocks), then our ports and PL clock.
create_bd_cell -type ip -vlnv [sbn_vlnv $sbn_ps(ip)] ps
apply_bd_automation -rule $sbn_ps(rule) -config $sbn_ps(automation) [get_bd_cells ps]
set_property -dict [sbn_ps_config $sbn(clock_mhz) $sbn(data_port) $sbn(data_port_width) $sbn(control_port)] \
    [get_bd_cells ps]

# Reset synchronised to the PL clock.
create_bd_cell -type ip -vlnv [sbn_vlnv proc_sys_reset] rst_pl
connect_bd_net [get_bd_pins ps/$sbn_ps(pl_reset)] [get_bd_pins rst_pl/ext_reset_in]

# The accelerator.
create_bd_cell -type ip -vlnv $sbn(ip_vlnv) $sbn(accel_cell)

# AXI DMA in simple (register) mode, as PYNQ's DMA driver uses it; 26-bit lengths allow 64 MiB
# buffers. Stream widths equal the accelerator's; the memory side is at least the HP port's width.
create_bd_cell -type ip -vlnv [sbn_vlnv axi_dma] $sbn(dma_cell)
set_property -dict [list \
    CONFIG.c_include_sg 0 \
    CONFIG.c_sg_length_width 26 \
    CONFIG.c_addr_width $sbn_ps(address_bits) \
    CONFIG.c_include_mm2s 1 \
    CONFIG.c_include_s2mm 1 \
    CONFIG.c_m_axis_mm2s_tdata_width $sbn(in_width) \
    CONFIG.c_m_axi_mm2s_data_width $sbn(dma_mm2s_width) \
    CONFIG.c_s_axis_s2mm_tdata_width $sbn(out_width) \
    CONFIG.c_m_axi_s2mm_data_width $sbn(dma_s2mm_width) \
    CONFIG.c_mm2s_burst_size 16 \
    CONFIG.c_s2mm_burst_size 16 \
] [get_bd_cells $sbn(dma_cell)]

connect_bd_intf_net [get_bd_intf_pins $sbn(dma_cell)/M_AXIS_MM2S] [get_bd_intf_pins $sbn(accel_cell)/s_axis]
connect_bd_intf_net [get_bd_intf_pins $sbn(accel_cell)/m_axis] [get_bd_intf_pins $sbn(dma_cell)/S_AXIS_S2MM]

# Data: both DMA channels -> SmartConnect -> the PS's high-performance port.
create_bd_cell -type ip -vlnv [sbn_vlnv smartconnect] axi_smc
set_property -dict [list CONFIG.NUM_SI 2 CONFIG.NUM_MI 1] [get_bd_cells axi_smc]
connect_bd_intf_net [get_bd_intf_pins $sbn(dma_cell)/M_AXI_MM2S] [get_bd_intf_pins axi_smc/S00_AXI]
connect_bd_intf_net [get_bd_intf_pins $sbn(dma_cell)/M_AXI_S2MM] [get_bd_intf_pins axi_smc/S01_AXI]
connect_bd_intf_net [get_bd_intf_pins axi_smc/M00_AXI] [get_bd_intf_pins ps/$sbn(data_port)]

# Control: the PS's general-purpose master -> AXI interconnect -> accelerator and DMA registers.
create_bd_cell -type ip -vlnv [sbn_vlnv axi_interconnect] axi_ctrl
set_property -dict [list CONFIG.NUM_SI 1 CONFIG.NUM_MI 2] [get_bd_cells axi_ctrl]
connect_bd_intf_net [get_bd_intf_pins ps/$sbn(control_port)] [get_bd_intf_pins axi_ctrl/S00_AXI]
connect_bd_intf_net [get_bd_intf_pins axi_ctrl/M00_AXI] [get_bd_intf_pins $sbn(accel_cell)/s_axi]
connect_bd_intf_net [get_bd_intf_pins axi_ctrl/M01_AXI] [get_bd_intf_pins $sbn(dma_cell)/S_AXI_LITE]

# One clock for everything: the PS's PL clock, also on the PS ports we use.
connect_bd_net [get_bd_pins ps/$sbn_ps(pl_clock)] \
    [get_bd_pins ps/[lindex [dict get $sbn_ps_ports $sbn(data_port)] 1]] \
    [get_bd_pins ps/[lindex [dict get $sbn_ps_ports $sbn(control_port)] 1]] \
    [get_bd_pins rst_pl/slowest_sync_clk] \
    [get_bd_pins $sbn(accel_cell)/aclk] \
    [get_bd_pins $sbn(dma_cell)/s_axi_lite_aclk] \
    [get_bd_pins $sbn(dma_cell)/m_axi_mm2s_aclk] \
    [get_bd_pins $sbn(dma_cell)/m_axi_s2mm_aclk] \
    [get_bd_pins axi_smc/aclk] \
    [get_bd_pins axi_ctrl/ACLK] [get_bd_pins axi_ctrl/S00_ACLK] \
    [get_bd_pins axi_ctrl/M00_ACLK] [get_bd_pins axi_ctrl/M01_ACLK]
connect_bd_net [get_bd_pins rst_pl/peripheral_aresetn] \
    [get_bd_pins $sbn(accel_cell)/aresetn] \
    [get_bd_pins $sbn(dma_cell)/axi_resetn] \
    [get_bd_pins axi_smc/aresetn] \
    [get_bd_pins axi_ctrl/S00_ARESETN] [get_bd_pins axi_ctrl/M00_ARESETN] [get_bd_pins axi_ctrl/M01_ARESETN]
connect_bd_net [get_bd_pins rst_pl/interconnect_aresetn] [get_bd_pins axi_ctrl/ARESETN]

# Address map: every slave gets its range (PYNQ reads them from the .hwh).
assign_bd_address
validate_bd_design
save_bd_design

set wrapper [make_wrapper -files [get_files $sbn(bd).bd] -top]
add_files -norecurse $wrapper
set_property top $sbn(bd)_wrapper [current_fileset]
update_compile_order -fileset sources_1
