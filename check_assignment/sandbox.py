"""Each student file is checked by a worker process of its own, with a time and a memory limit, in a temporary
folder: the student's code may crash, hang, exit, print or fill memory without stopping the checker or touching
the student's folder."""
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from check_assignment.kinds import check_names

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # where check_assignment and part1 import from


def limit_memory(pid, megabytes):
    """Cap the data memory of the process `pid` (Linux: RLIMIT_DATA counts every heap and anonymous map). Set from
    here, just after the start, not in a preexec_fn, which is unsafe in a process with threads."""
    if sys.platform.startswith("linux"):
        import resource  # POSIX only
        try:
            resource.prlimit(pid, resource.RLIMIT_DATA, (megabytes << 20, megabytes << 20))
        except ProcessLookupError:  # it ended already
            pass


def check_file(path, class_name, root, seed, time_limit, memory_mb, book=None):
    """The results [{check, status, message}] of one student file, as its worker process reported them, with what
    became of a worker that hung, crashed or exited. book: the text part 2's train.py reads (None: a made-up one)."""
    with tempfile.TemporaryDirectory(prefix="check-") as tmp:
        results = Path(tmp) / "results.jsonl"
        request = {"file": str(path), "root": str(root), "class": class_name, "seed": seed,
                   "memory_mb": memory_mb, "book": book and str(Path(book).resolve()), "results": str(results)}
        path_entries = [str(PACKAGE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path_entries), "PYTHONDONTWRITEBYTECODE": "1"}
        worker = subprocess.Popen([sys.executable, "-m", "check_assignment.worker", json.dumps(request)], cwd=tmp,
                                  env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  start_new_session=True)
        limit_memory(worker.pid, memory_mb)
        try:
            out, err = worker.communicate(timeout=time_limit)
            hung = False
        except subprocess.TimeoutExpired:
            stop(worker)
            out, err = worker.communicate()
            hung = True
        lines = results.read_text(encoding="utf-8").splitlines() if results.exists() else []
    reported = [json.loads(line) for line in lines if line.endswith("}")]
    ending = None if any(r["check"] == "done" for r in reported) else \
        how_it_ended(worker.returncode, hung, err.decode(errors="replace"), time_limit, memory_mb)
    return outcome(reported, ending, out.decode(errors="replace"), check_names(class_name))


def stop(worker):
    """Kill the worker and whatever it started (its own process group)."""
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):  # gone already; or Windows
        worker.kill()


def how_it_ended(code, hung, err, time_limit, memory_mb):
    """Why a worker stopped before its last check, in a few words."""
    if hung:
        return f"hung: no result within the time limit of {time_limit} s"
    if "MemoryError" in err or "can't allocate memory" in err:
        return f"ran out of its memory limit of {memory_mb} MB"
    if code < 0:
        return f"crashed ({signal.Signals(-code).name})"
    last = [line for line in err.splitlines() if line.strip()][-1:]
    return f"exited with code {code}" + (f": {last[0].strip()}" if last else "")


def outcome(reported, ending, printed, checks):
    """Each check's last reported result. Where the worker stopped early, the check it stopped in (or, between
    checks, the next) fails with `ending`; every check without a result is skipped. Output that the student's
    code printed is a warning."""
    last = {r["check"]: r for r in reported if r["check"] != "done"}
    results = []
    for check in checks:
        r = last.get(check)
        if r is not None and r["status"] != "running":
            results.append(r)
        elif ending is not None:
            results.append({"check": check, "status": "fail", "message": ending})
            ending = None
        else:
            results.append({"check": check, "status": "skip", "message": "not reached"})
    if printed.strip():
        first = printed.strip().splitlines()[0]
        results.append({"check": "prints", "status": "warn",
                        "message": f"the code prints while checked ({first[:60]!r}); ignored"})
    return results
