"""The checker's worker: python -m check_assignment.worker REQUEST, in a process of its own per student file.

REQUEST is JSON: the file, the assignment's root, the class, the seed, the memory limit and where to append
results. Each check appends a "running" line before it starts and its result after, so that the parent can say
in which check a student's code hung, crashed or exited.
"""
import json
import sys
from pathlib import Path

import torch

from check_assignment.kinds import KINDS, NEEDS
from check_assignment.student import StudentError, where


def check_file(request, report):
    """Run every check of the request's file, report(check, status, message) before and after each."""
    root = Path(request["root"]).resolve()
    _, open_file, checks = KINDS[request["class"]]
    report("loads", "running")
    try:
        student, loaded = open_file(request, root)
    except StudentError as e:
        return report("loads", "fail", str(e))
    except (Exception, SystemExit) as e:
        return report("loads", "fail", f"the constructor fails: {failure(e, root, request)}")
    report("loads", "pass", loaded)
    statuses = {}
    for check, run in checks.items():
        failed = [need for need in NEEDS.get(check, ()) if statuses.get(need) == "fail"]
        blocked = "a working forward (interface)" if student.form is None and check != "interface" else \
            " and ".join(failed)
        if blocked:
            report(check, "skip", f"needs {blocked} to pass")
            continue
        report(check, "running")
        try:
            status, message = run(student)
        except (Exception, SystemExit) as e:
            status, message = "fail", failure(e, root, request)
        statuses[check] = status
        report(check, status, message)


def failure(error, root, request):
    """One line for an exception of the student's code; running out of memory is said as such."""
    if isinstance(error, MemoryError) or "can't allocate memory" in str(error):
        return f"ran out of its memory limit of {request['memory_mb']} MB ({where(error, root)})"
    if isinstance(error, SystemExit):
        return f"calls sys.exit({error.code if error.code is not None else ''})"
    return where(error, root)


def main(request):
    torch.set_num_threads(1)  # submissions are checked side by side
    with open(request["results"], "a", encoding="utf-8") as results:
        def report(check, status, message=""):
            results.write(json.dumps({"check": check, "status": status, "message": message}) + "\n")
            results.flush()

        check_file(request, report)
        report("done", "done")


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
