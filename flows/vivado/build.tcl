# sbn-hw: accelerator -> Vivado IP -> Zynq block design -> bitstream + .hwh for PYNQ.
#   vivado -mode batch -source build.tcl
# Written for Vivado 2022.2 - 2024.2 (the IP cores are chosen by name at their newest version in
# the installed catalog, never pinned, so neighbouring releases should work too).
# settings.tcl (written by sbn-hw for one accelerator and one board) fills the array `sbn`;
# this script and the ones it sources are the same for every board.

# Relative paths below are relative to this folder, wherever Vivado was started.
cd [file dirname [file normalize [info script]]]
source settings.tcl

proc sbn_version_check {} {
    set v [version -short]
    if {![regexp {^(\d+)\.(\d+)} $v -> major minor] || $major < 2022 || $major > 2024
        || ($major == 2022 && $minor < 2)} {
        puts "WARNING: sbn-hw's scripts were written for Vivado 2022.2 - 2024.2; this is $v"
    }
}

# The newest version of a Xilinx IP in the catalog, e.g. sbn_vlnv axi_dma -> xilinx.com:ip:axi_dma:7.1
proc sbn_vlnv {name} {
    set defs [get_ipdefs -all xilinx.com:ip:${name}:*]
    if {[llength $defs] == 0} {
        error "sbn-hw: IP xilinx.com:ip:${name} is not in this Vivado's catalog"
    }
    return [get_property VLNV [lindex [lsort -dictionary $defs] end]]
}

sbn_version_check
if {$sbn(backend) eq "hls"} {
    source hls_synth.tcl
}
source package_ip.tcl
source $sbn(ps_script)
source block_design.tcl
source implement.tcl
