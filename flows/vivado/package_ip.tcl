# Package the accelerator shell (ip_src/: Verilog and the $readmemh memory images: *.mem from
# sbn-hw's RTL, *.dat from Vitis HLS with --backend hls) as a Vivado IP
# in ip_repo/, with bus interfaces s_axi (AXI4-Lite), s_axis and m_axis (AXI-Stream), all on
# clock aclk with active-low reset aresetn.

create_project -force sbn_ip ip_project -part $sbn(part)
add_files -norecurse [glob -directory ip_src *.v]
set mems [glob -nocomplain -directory ip_src *.mem *.dat]
if {[llength $mems] > 0} {
    add_files -norecurse $mems
    # $readmemh names these files without a path: synthesis finds them among the IP's files.
    set_property file_type {Memory Initialization Files} [get_files $mems]
}
set_property top $sbn(ip_top) [current_fileset]
update_compile_order -fileset sources_1

ipx::package_project -root_dir ip_repo -vendor $sbn(ip_vendor) -library $sbn(ip_library) \
    -taxonomy /UserIP -import_files -set_current true -force
set core [ipx::current_core]
set_property name $sbn(ip_name) $core
set_property version $sbn(ip_version) $core
set_property display_name "sbn-hw accelerator $sbn(ip_name)" $core
set_property description "sbn-hw binary network accelerator (description hash $sbn(desc_hash))" $core

# Vivado infers the AXI interfaces from the port prefixes; stop here if it did not.
foreach busif {s_axi s_axis m_axis} {
    if {[llength [ipx::get_bus_interfaces $busif -of_objects $core]] == 0} {
        error "sbn-hw: Vivado did not infer bus interface $busif from the shell's port names"
    }
}
if {[llength [ipx::get_bus_interfaces aclk -of_objects $core]] == 0} {
    ipx::infer_bus_interface aclk xilinx.com:signal:clock_rtl:1.0 $core
}
if {[llength [ipx::get_bus_interfaces aresetn -of_objects $core]] == 0} {
    ipx::infer_bus_interface aresetn xilinx.com:signal:reset_rtl:1.0 $core
}
# One clock domain: every interface (and the reset) belongs to aclk.
ipx::associate_bus_interfaces -busif s_axi -clock aclk $core
ipx::associate_bus_interfaces -busif s_axis -clock aclk $core
ipx::associate_bus_interfaces -busif m_axis -clock aclk $core
ipx::associate_bus_interfaces -clock aclk -reset aresetn $core
set rst_if [ipx::get_bus_interfaces aresetn -of_objects $core]
set polarity [ipx::get_bus_parameters POLARITY -of_objects $rst_if]
if {[llength $polarity] == 0} {
    set polarity [ipx::add_bus_parameter POLARITY $rst_if]
}
set_property value ACTIVE_LOW $polarity

# The packaged ports must be exactly the shell's (sbn(ip_ports): name {direction width}).
set packaged {}
foreach port [ipx::get_ports -of_objects $core] {
    lappend packaged [get_property NAME $port]
}
if {[lsort $packaged] ne [lsort [dict keys $sbn(ip_ports)]]} {
    error "sbn-hw: packaged IP ports {[lsort $packaged]} differ from the shell's {[lsort [dict keys $sbn(ip_ports)]]}"
}

ipx::create_xgui_files $core
ipx::update_checksums $core
ipx::check_integrity $core
ipx::save_core $core
close_project
