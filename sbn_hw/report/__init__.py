"""The build report: report.json (machine-readable) and report.md with plots."""

from sbn_hw.report.build_report import collect_report, write_report

__all__ = ["collect_report", "write_report"]
