"""The claims of the runs in training: a lock file per run, so that two sweeps into one folder train each run once."""
from pathlib import Path

from uvadl2019.files import claim
from part1.config import digest_of

CLAIMS = ".claims"


class Claims:
    """The runs that processes sharing a sweep folder are training: a lock file per run, held while it trains, so
    that two sweeps started at once train each run once. A killed process's claims are free again at once (the
    operating system drops its locks)."""

    def __init__(self, folder):
        self.folder = Path(folder) / CLAIMS
        self.held = {}

    def take(self, config, wait=False):
        """Claim the run of `config`; False when another process holds it (wait: until that one lets it go)."""
        self.folder.mkdir(exist_ok=True)
        lock = claim(self.folder / f"{digest_of(config.key())}.lock", wait)
        if lock is None:
            return False
        self.held[config.key()] = lock
        return True

    def release(self, key):
        lock = self.held.pop(key, None)
        if lock is not None:
            lock.release()

    def release_all(self):
        for key in list(self.held):
            self.release(key)
