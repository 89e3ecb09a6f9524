"""Seeds and random generators owned by datasets, never the global random state."""
import numpy as np
import torch


def derive_seed(seed, stream):
    """An independent 32-bit seed for one named use (stream, an int or tuple of ints) of a run's seed."""
    stream = stream if isinstance(stream, tuple) else (stream,)
    return int(np.random.SeedSequence([seed, *stream]).generate_state(1)[0])


class DeviceGenerators:
    """One torch.Generator per device, seeded with `seed` on first use (fresh entropy when seed is None)."""

    def __init__(self, seed):
        self.seed = seed
        self._generators = {}

    def get(self, device="cpu"):
        device = torch.device(device)
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        if device not in self._generators:
            generator = torch.Generator(device=device)
            if self.seed is None:
                generator.seed()
            else:
                generator.manual_seed(self.seed)
            self._generators[device] = generator
        return self._generators[device]
