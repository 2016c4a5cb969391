# Stand-ins for the Vivado Tcl commands sbn-hw's scripts use, for running them in plain tclsh.
# Each records its name and arguments (one call per line, tab-separated, in $::stub_log) and
# returns what the scripts need from it. Any command not stubbed here is an error, as in tclsh.
# Set before sourcing: stub_log (path), stub_ip_ports (the port names the "packaged IP" has).

namespace eval ipx {}

proc stub_record {cmd args} {
    set f [open $::stub_log a]
    set fields [list $cmd]
    foreach a $args {
        lappend fields [string map [list "\n" {\n} "\t" {\t}] $a]
    }
    puts $f [join $fields "\t"]
    close $f
}

# The object a get_* query names: its last argument that is not an option or an option's value.
proc stub_object {args} {
    set skip 0
    set obj ""
    foreach a $args {
        if {$skip} { set skip 0; continue }
        if {[string match -* $a]} {
            if {$a in {-of_objects -filter -hierarchical_depth -regexp}} { set skip 1 }
            continue
        }
        set obj $a
    }
    return $obj
}

foreach cmd {create_project set_param add_files set_property update_compile_order close_project
             update_ip_catalog create_bd_design apply_bd_automation connect_bd_net connect_bd_intf_net
             assign_bd_address validate_bd_design save_bd_design launch_runs open_run report_utilization
             report_timing_summary ipx::package_project ipx::infer_bus_interface ipx::associate_bus_interfaces
             ipx::create_xgui_files ipx::update_checksums ipx::check_integrity ipx::save_core} {
    proc $cmd {args} "stub_record $cmd {*}\$args; return {}"
}
foreach cmd {get_bd_cells get_bd_pins get_bd_intf_pins get_files get_runs get_ipdefs get_board_parts
             ipx::get_bus_interfaces ipx::get_bus_parameters create_bd_cell} {
    proc $cmd {args} "stub_record $cmd {*}\$args; return \[stub_object {*}\$args\]"
}
proc current_project {args} { stub_record current_project {*}$args; return stub_project }
proc current_fileset {args} { stub_record current_fileset {*}$args; return sources_1 }
proc get_param {args} { stub_record get_param {*}$args; return {} }
proc version {args} { stub_record version {*}$args; return 2023.2 }
proc ipx::current_core {args} { stub_record ipx::current_core {*}$args; return stub_core }
proc ipx::add_bus_parameter {args} { stub_record ipx::add_bus_parameter {*}$args; return [lindex $args 0] }
proc ipx::get_ports {args} { stub_record ipx::get_ports {*}$args; return $::stub_ip_ports }
proc make_wrapper {args} {
    stub_record make_wrapper {*}$args
    return $::sbn(project_dir)/$::sbn(bd)_wrapper.v
}
proc get_property {name args} {
    stub_record get_property $name {*}$args
    set obj [lindex $args end]
    switch -- $name {
        VLNV { return [string map {* 9.9} $obj] }
        NAME { return $obj }
        PROGRESS { return 100% }
        STATUS { return {write_bitstream Complete!} }
        DIRECTORY { return $::sbn(project_dir)/$::sbn(project).runs/impl_1 }
        default { return {} }
    }
}
# What a finished implementation leaves behind: the bitstream and the hardware handoff.
proc wait_on_run {args} {
    stub_record wait_on_run {*}$args
    set run $::sbn(project_dir)/$::sbn(project).runs/impl_1
    set hw $::sbn(project_dir)/$::sbn(project).gen/sources_1/bd/$::sbn(bd)/hw_handoff
    file mkdir $run $hw
    set f [open $run/$::sbn(bd)_wrapper.bit w]; puts $f stub-bitstream; close $f
    set f [open $hw/$::sbn(bd).hwh w]; puts $f stub-hwh; close $f
}
