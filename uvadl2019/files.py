"""Files that survive interruption and concurrency: replaced atomically (temporary file, fsync, rename), appended
under a lock, temporaries of killed processes removed; and writable output folders."""
import csv
import errno
import hashlib
import io
import json
import os
import re
import secrets
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from uvadl2019.checks import UserError

TEMPORARY = re.compile(r"^\..+\.(\d+)-[0-9a-f]{8}\.tmp")  # .NAME.PID-TOKEN.tmp.SUFFIX, see replaced_atomically
STALE_SECONDS = 3600  # where a writer's life cannot be checked (Windows), a temporary this old is stale
WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}  # a full disk, quota, read-only


def write_failure(error, left):
    """One line for an OSError of WRITE_ERRORS: what could not be written, why, and `left`: what is safe."""
    what = f"'{error.filename}'" if error.filename else "the output"
    return f"could not write {what}: {error.strerror}; {left}"


@contextmanager
def writing(path, *temporary):
    """Name `path` in an OSError raised while it is written (a full disk's error names no file, or a temporary)."""
    try:
        yield
    except OSError as e:
        if e.filename is not None and str(e.filename) not in map(str, temporary):
            raise
        raise OSError(e.errno, e.strerror, str(path)) from None


def ensure_writable_dir(path, option="--out_dir"):
    """Create `path` if needed, prove that files can be written there (else a UserError naming `option`), and
    remove the temporary files that killed processes left there."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-probe.{os.getpid()}-{secrets.token_hex(4)}.tmp"
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise unwritable(path, e, option) from None
    remove_stale_temporaries(path)
    return path


def lexists(path, option):
    """Whether `path` exists (a symbolic link counts, wherever it leads); a name the system cannot even look up is
    a UserError naming `option`."""
    try:
        os.lstat(path)
        return True
    except FileNotFoundError:
        return False
    except OSError as e:
        raise unwritable(path, e, option) from None


def unwritable(path, error, option):
    """The UserError for an OSError of making, finding or writing in the output folder `path` of `option`."""
    return UserError(f"cannot write to output folder '{path}' ({why_not_writable(path, error)}); choose another with "
                     f"{option}")


def why_not_writable(path, error):
    """What an OSError of creating or writing in the folder `path` means, in words: a name too long for the system,
    or a symbolic link in a loop (the system says "File exists" or "Too many levels of symbolic links")."""
    if error.errno == errno.ENAMETOOLONG:
        return "the path, or a folder's name in it, is longer than this system allows"
    try:
        Path(path).resolve(strict=True)
    except RuntimeError:  # Python's word for a loop
        return "a symbolic link on its way leads round in a loop"
    except OSError:
        pass
    return error.strerror


@contextmanager
def output_folders(*folders):
    """Make each folder of `folders`, (path, option) pairs with path None for none, proving it writable (else a
    UserError naming its option); yield their Paths. Where the block fails, the folders made here are removed
    again while they hold nothing but lock files, so a failed command leaves no empty folder behind."""
    made = []
    try:
        paths = []
        for path, option in folders:
            if path is not None:
                path = Path(path)
                made += [p for p in reversed([path, *path.parents]) if not lexists(p, option) and p not in made]
                path = ensure_writable_dir(path, option)
            paths.append(path)
        yield paths
    except BaseException:
        for folder in reversed(made):
            remove_if_unused(folder)
        raise


def remove_if_unused(folder):
    """Delete `folder` if it holds nothing but lock files."""
    try:
        entries = list(folder.iterdir())
        if all(entry.name.endswith(".lock") and entry.is_file() for entry in entries):
            for entry in entries:
                entry.unlink()
            folder.rmdir()
    except OSError:  # gone already, or in use
        pass


def writer_alive(pid, path):
    """Whether the process that made the temporary file `path` may still be writing it."""
    if pid == os.getpid():
        return True
    if os.name != "posix":  # no harmless probe of another process here: go by the file's age
        return time.time() - path.stat().st_mtime < STALE_SECONDS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_temporaries(folder):
    """Delete the temporary files in `folder` whose writer was killed before it could rename them."""
    for path in Path(folder).glob(".*.tmp*"):
        match = TEMPORARY.match(path.name)
        try:
            if match and not writer_alive(int(match.group(1)), path):
                path.unlink()
        except OSError:  # gone already, or not ours to remove
            pass


def sync_folder(folder):
    """Make a rename in `folder` durable (POSIX: fsync the directory; elsewhere nothing to do)."""
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def replaced_atomically(path):
    """Yield a temporary path beside `path` to write; on success it is synced to disk and replaces `path`, on
    failure it is removed. Readers see the old or the new file, never a part of one, also after a power loss.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp{path.suffix}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # permissions as any new file's
    try:
        with writing(path, tmp):
            yield tmp
            fd = os.open(tmp, os.O_RDWR)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
        sync_folder(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def replaced_together(*paths):
    """Yield a temporary path beside each of `paths` to write; once all are written, they replace their files one
    right after another. A failure or Ctrl-C while writing removes them all and leaves every file as it was."""
    with ExitStack() as stack:
        yield [stack.enter_context(replaced_atomically(path)) for path in paths]


def atomic_write_text(path, text):
    """Write `text` to `path` atomically."""
    with replaced_atomically(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def sha256(path):
    """The hex sha256 of the file at `path`."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def claim(path, wait=False):
    """Take the lock file `path` for this process: the held FileLock, or None where another process holds it (wait:
    until it lets go). The operating system drops a killed process's locks, so its claims are free again at once."""
    lock = FileLock(path, timeout=-1 if wait else 0)
    try:
        lock.acquire()
    except Timeout:
        return None
    return lock


def lock_of(path):
    """The lock that serialises the writers of `path` across processes: a hidden file beside it."""
    path = Path(path)
    return FileLock(path.with_name(f".{path.name}.lock"))


def repair_torn_tail(path):
    """Cut a last line without its newline (left by a process killed while appending) off `path`, with a warning."""
    with open(path, "rb+") as f:
        data = f.read()
        if not data or data.endswith(b"\n"):
            return
        keep = data.rfind(b"\n") + 1
        f.truncate(keep)
    print(f"warning: removed a last line of {len(data) - keep} bytes from '{path}', cut short by an interrupted "
          f"write", file=sys.stderr)


def read_utf8(path, fix):
    """The text of the file `path`, without the byte-order mark that spreadsheet programs write; one that cannot be
    read (a folder, say) or is not UTF-8 is a UserError ending in `fix`."""
    try:
        return Path(path).read_bytes().decode("utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError) as e:
        why = "is not UTF-8 text" if isinstance(e, UnicodeDecodeError) else f"cannot be read ({e.strerror})"
        raise UserError(f"'{path}' {why}; {fix}") from None


def read_jsonl(path, required=(), check=None, key=None):
    """All records of a JSON-lines file ([] when absent). An incomplete last line (another process's append in
    progress, or one cut short by a kill) is skipped with a warning; any other line that is not a JSON record
    with the `required` keys, of which check(record) says what is wrong, or whose key(record) an earlier line
    has, is a UserError naming it."""
    path = Path(path)
    if not path.exists():
        return []
    text = read_utf8(path, "move it away to start afresh, or give another --out_dir")
    lines = text.split("\n")
    records, seen = [], {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if number == len(lines) and not isinstance(record, dict):  # no newline after it: incomplete
            print(f"warning: ignoring the incomplete last line of '{path}' (being written by another process, "
                  f"or cut short by an interrupted one)", file=sys.stderr)
            break
        missing = [name for name in required if name not in record] if isinstance(record, dict) else None
        what = ("is not a JSON record" if missing is None else f"lacks {', '.join(map(repr, missing))}" if missing
                else check(record) if check else None)
        if not what and key is not None:
            earlier = seen.setdefault(key(record), number)
            what = f"records the same run as line {earlier}" if earlier != number else None
        if what:
            raise UserError(f"line {number} of '{path}' {what}; delete or repair that line and run again "
                            f"(the other lines are kept)")
        records.append(record)
    return records


def append_jsonl(path, record):
    """Append one record as a JSON line, under the file's lock and synced to disk: concurrent writers lose
    nothing, and a line torn by an earlier kill is cut off first."""
    path = Path(path)
    with lock_of(path):
        if path.exists():
            repair_torn_tail(path)
        with writing(path), open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())


def append_line(path, line):
    """Append one line to a log and flush it; cut_log() repairs a log cut short by an interruption."""
    with writing(path), open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()


def cut_log(path, step_of, last_step, header_lines=0):
    """Rewrite the log at `path` atomically (UTF-8, "\\n" line ends): its first header_lines lines, then its lines up
    to the first whose step_of(line) is above last_step. step_of(line) is None for a line that is not whole: the last
    line of a log cut short by a kill is dropped; any other is a UserError naming it, for no line is dropped that the
    writer may not have written."""
    path = Path(path)
    if not path.exists():
        return
    lines = read_utf8(path, "move it away (the run goes on without its earlier lines) and run again").splitlines()
    for number, line in enumerate(lines[header_lines:], header_lines + 1):
        step = step_of(line)
        if step is None and number < len(lines):
            raise UserError(f"line {number} of '{path}' is not one the run wrote ({line[:40]!r}); mend or delete it "
                            f"and resume again")
        if step is None or step > last_step:
            lines = lines[:number - 1]
            break
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def write_csv(path, rows, fields=None):
    """Write dicts with the same keys (`fields`, default the first row's) as a CSV file with a header, atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())
