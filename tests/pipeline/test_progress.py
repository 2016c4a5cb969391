"""Long work is never silent in a log: without a terminal, training prints a line per epoch and a
simulation a line per tenth of its frames (a rich bar would print only when the work is over)."""

from sbn_hw.pipeline.progress import console_progress, counted_progress


def test_in_a_log_every_epoch_is_a_line(capsys):
    with console_progress("epochs", 2) as step:
        step("epoch 1: loss 0.5")
        step("epoch 2: loss 0.4")
    out = capsys.readouterr().out
    assert "epoch 1: loss 0.5" in out and "epoch 2: loss 0.4" in out


def test_in_a_log_a_simulation_reports_each_tenth_once(capsys):
    with counted_progress("checked frames", 100) as report:
        for done in (0, 5, 10, 11, 55, 100, 100):
            report(done, 100)
    lines = [l for l in capsys.readouterr().out.splitlines() if "checked frames" in l]
    assert lines == ["  checked frames: 10/100 frames", "  checked frames: 55/100 frames",
                     "  checked frames: 100/100 frames"]
