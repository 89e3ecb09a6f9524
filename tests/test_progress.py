"""Progress bars only where they can be drawn, off with --quiet or tqdm's own TQDM_DISABLE, and one display at a
time in part 2: the bar on a terminal, the course's progress lines elsewhere."""
import os
import subprocess
import sys

import pytest

from part2 import train as part2_train
from tests.helpers import REPO, TINY, run_cli


def part2_run(book, tmp_path, *extra):
    part2_train.main(["--txt_file", str(book), "--out_dir", str(tmp_path / "run"), *TINY, "--train_steps", "10",
                      "--device", "cpu", *extra])


def as_terminal(monkeypatch):
    """The test's stderr as a terminal would be (in the test's body: capsys replaces stderr as the test starts)."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)


def test_on_a_terminal_part2_draws_its_bar_and_prints_no_progress_lines(book, tmp_path, capsys, monkeypatch):
    as_terminal(monkeypatch)
    part2_run(book, tmp_path)
    out, err = capsys.readouterr()
    assert "part2:" in err and "loss=" in err and "Train Step" not in out


def on_terminal(args, **env):
    """Run `python ARGS` from the repository root with stderr on a pseudo-terminal; (stdout, what the terminal
    showed)."""
    pty = pytest.importorskip("pty")  # POSIX only
    import fcntl
    import struct
    import termios
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 rows, 100 columns
    result = subprocess.run([sys.executable, *map(str, args)], cwd=REPO, stdout=subprocess.PIPE, stderr=terminal,
                            text=True, timeout=300, env={**os.environ, **env})
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal's other end is closed: all read
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert result.returncode == 0, shown
    return result.stdout, shown.decode()


@pytest.mark.parametrize("how", ["--quiet", "TQDM_DISABLE"])
def test_quiet_or_tqdm_disable_draw_no_bar_and_the_progress_lines_come_back(book, tmp_path, how):
    args = ["-m", "part2.train", "--txt_file", book, "--out_dir", tmp_path / "run", *TINY, "--train_steps", "10",
            "--device", "cpu"]
    out, shown = on_terminal([*args, "--quiet"]) if how == "--quiet" else on_terminal(args, TQDM_DISABLE="1")
    assert "part2:" not in shown and "\r" not in shown and "Train Step 0010/0010" in out
    _, shown = on_terminal([*args[:5], tmp_path / "again", *args[6:]])
    assert "part2:" in shown  # the same run on the same terminal, without them: a bar


def test_without_a_terminal_the_commands_write_no_carriage_return(tmp_path):
    for command in (["-m", "part1.train", "--train_steps", "30", "--out_dir", tmp_path / "p1"],
                    ["start1.py", "--models", "RNN", "--lengths", "2", "--seeds", "1", "--steps", "30", "--jobs",
                     "1", "--out_dir", tmp_path / "sweep"]):
        result = run_cli(*command)
        assert result.returncode == 0, result.stderr
        assert "\r" not in result.stdout + result.stderr and "it/s" not in result.stderr
