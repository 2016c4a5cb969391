# Synthesis, implementation and bitstream; then the files PYNQ's Overlay loads (<name>.bit and
# <name>.hwh side by side) and the reports sbn-hw parses.

launch_runs impl_1 -to_step write_bitstream -jobs $sbn(jobs)
wait_on_run impl_1
if {[get_property PROGRESS [get_runs impl_1]] ne "100%"} {
    error "sbn-hw: implementation did not finish: [get_property STATUS [get_runs impl_1]] (see $sbn(project_dir)/$sbn(project).runs/impl_1/runme.log)"
}

open_run impl_1
file mkdir $sbn(report_dir)
report_utilization -file $sbn(report_dir)/utilization.rpt
report_utilization -hierarchical -hierarchical_depth 4 -file $sbn(report_dir)/utilization_hierarchical.rpt
report_timing_summary -max_paths 10 -file $sbn(report_dir)/timing_summary.rpt

set run_dir [get_property DIRECTORY [get_runs impl_1]]
set bits [glob -nocomplain -directory $run_dir *.bit]
if {[llength $bits] != 1} {
    error "sbn-hw: expected one bitstream in $run_dir, found [llength $bits]"
}
# The hardware handoff sits under .gen (Vivado 2020.2 and later) or .srcs (before).
set hwh {}
foreach tree {gen srcs} {
    set candidate $sbn(project_dir)/$sbn(project).$tree/sources_1/bd/$sbn(bd)/hw_handoff/$sbn(bd).hwh
    if {[file exists $candidate]} {
        set hwh $candidate
        break
    }
}
if {$hwh eq ""} {
    error "sbn-hw: no hardware handoff $sbn(bd).hwh under $sbn(project_dir)"
}
file mkdir $sbn(out_dir)
file copy -force $hwh $sbn(out_dir)/$sbn(name).hwh
file copy -force [lindex $bits 0] $sbn(out_dir)/$sbn(name).bit
puts "sbn-hw: wrote $sbn(out_dir)/$sbn(name).bit and $sbn(name).hwh"
close_project
