"""Compile part1's Triton kernels for a GPU without one: compile errors, registers, spilled bytes, shared memory.

python -m benchmarks.compile_triton_kernels [--arch 90] [--all_tiles]   (needs Triton, not CUDA; on a machine with
the CPU build of PyTorch: pip install triton)
"""
import argparse
import re
import subprocess
import tempfile
from pathlib import Path

import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

from benchmarks.tune_triton_tiles import TILES
from part1.fast import cells_triton as tc

N, D = 128, 10  # hidden units, one-hot input (batch: 128)
K = -(-(N + D + 1) // 16) * 16  # rows of the stacked column, as part1.fast.workspace pads them


def kernels(model_type, tile):
    """(kernel, runtime integer arguments, constexpr arguments) for a model's step, forward and backward."""
    shape = dict(K=K, BJ=tile.rows, BB=tile.cols, BK=tile.inner)
    if model_type == "RNN":
        return [(tc._rnn_forward, ["n", "B"], shape),
                (tc._rnn_backward, ["n", "B"], dict(shape, FIRST=False, ROWS=N))]
    return [(tc._lstm_forward, ["n", "B"], shape),
            (tc._lstm_backward, ["n", "B"], dict(shape, FIRST=False, ROWS=4 * N))]


def resources(kernel, ints, constants, warps, target):
    """Registers, local memory (spills) and shared memory of one compiled kernel."""
    names = list(kernel.arg_names)
    signature = {name: "i32" if name in ints else "constexpr" if name in constants else "*fp32" for name in names}
    # As the JIT specialises at run time: PyTorch's buffers are 16-byte aligned, and n = B = 128 divide by 16.
    aligned = {(names.index(name),): [["tt.divisibility", 16]] for name in names if signature[name] != "constexpr"}
    source = ASTSource(kernel, signature, constexprs={(names.index(k),): v for k, v in constants.items()},
                       attrs=aligned)
    compiled = triton.compile(source, target=target, options={"num_warps": warps})
    cuobjdump = Path(triton.__file__).parent / "backends" / "nvidia" / "bin" / "cuobjdump"
    with tempfile.TemporaryDirectory() as folder:
        cubin = Path(folder) / f"{kernel.__name__}.cubin"
        cubin.write_bytes(compiled.asm["cubin"])
        usage = subprocess.run([str(cuobjdump), "--dump-resource-usage", str(cubin)], capture_output=True,
                               text=True, check=True).stdout
    registers, local = re.search(r"REG:(\d+).*?LOCAL:(\d+)", usage, re.S).groups()
    return int(registers), int(local), compiled.metadata.shared


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", type=int, default=90, help="compute capability x 10 (default: 90, an H100)")
    p.add_argument("--all_tiles", action="store_true", help="every tile benchmarks/tune_triton_tiles.py times")
    args = p.parse_args()
    target = GPUTarget("cuda", args.arch, 32)
    print(f"sm_{args.arch}, triton {triton.__version__}, hidden {N}")
    print(f"{'kernel':>15} {'tile':>13} {'registers':>9} {'spilled':>7} {'shared':>7}")
    for model_type, shipped in tc.TILE.items():
        for tile in [tc.Tile(*t) for t in TILES] if args.all_tiles else [shipped]:
            for kernel, ints, constants in kernels(model_type, tile):
                registers, local, shared = resources(kernel, ints, constants, tile.warps, target)
                print(f"{kernel.__name__:>15} {' '.join(map(str, tile)):>13} {registers:>9} {local:>7} {shared:>7}")


if __name__ == "__main__":
    main()
