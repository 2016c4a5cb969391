"""The progress file a long simulation reports through: written atomically, read defensively,
watched from a thread that always reports the final state."""

import time

from sbn_hw.verify.progress import ProgressWatcher, read_progress, write_progress


def test_progress_round_trips_and_a_missing_or_torn_file_reads_as_none(tmp_path):
    p = tmp_path / "progress.json"
    assert read_progress(p) is None
    write_progress(p, 3, 10)
    assert read_progress(p) == (3, 10) and not p.with_suffix(".tmp").exists()
    p.write_text('{"done": 4')
    assert read_progress(p) is None


def test_the_watcher_reports_changes_and_the_final_state(tmp_path):
    p = tmp_path / "progress.json"
    write_progress(p, 99, 99)  # a stale file from an earlier run is not reported
    seen = []
    with ProgressWatcher(p, lambda done, total: seen.append((done, total)), interval_s=0.01):
        write_progress(p, 5, 20)
        deadline = time.time() + 5
        while (5, 20) not in seen and time.time() < deadline:  # seen while the run goes, not only at its end
            time.sleep(0.01)
        assert (5, 20) in seen
        write_progress(p, 20, 20)
    assert seen[-1] == (20, 20) and (99, 99) not in seen


def test_a_failing_display_neither_stops_the_watcher_nor_raises(tmp_path):
    p = tmp_path / "progress.json"

    def broken(done, total):
        raise RuntimeError("terminal gone")

    with ProgressWatcher(p, broken, interval_s=0.01):
        write_progress(p, 1, 2)
        time.sleep(0.05)
