"""What a part 2 run works with (TextRun), the book read for one process and the memory a run needs."""
from dataclasses import dataclass
from pathlib import Path

import torch

from uvadl2019.checks import UserError
from uvadl2019.memory import check_fits
from uvadl2019.seeding import derive_seed
from part2.dataset import TextDataset
from part2.model import TextGenerationModel

BYTES_PER_BOOK_BYTE = 20  # reading a book: its bytes, the string, a list of indices and their int64 tensor
DATA_STREAM, SAMPLE_STREAM, DROPOUT_STREAM = 0, 1, 2  # the run's random streams (uvadl2019.seeding.derive_seed)


@dataclass
class TextRun:
    """What a training run works with, on this process (rank) of `world`."""
    config: object
    rank: int
    world: int
    device: torch.device
    out_dir: Path
    summary_dir: Path
    dataset: TextDataset
    validation: tuple  # the held-out windows (inputs, targets), made once; None where the book holds none out
    model: TextGenerationModel
    trained: torch.nn.Module  # the model, in DistributedDataParallel with several processes
    optimizer: torch.optim.Optimizer
    scheduler: object
    board: object = None  # a TensorBoard SummaryWriter on rank 0 with --tensorboard, opened once resumed

    @property
    def is_main(self):
        return self.rank == 0


def load_dataset(config, rank=0):
    """The book as a TextDataset drawing this rank's batches; an unreadable, empty or too short file is a UserError."""
    stream = DATA_STREAM if rank == 0 else (DATA_STREAM, rank)  # rank 0 draws what a single process draws
    path = Path(config.txt_file)
    if path.exists() and not path.is_file():  # a folder, or a device such as /dev/zero that never ends
        raise UserError(f"--txt_file '{path}' is not a regular file; give a book's text file")
    if path.is_file():  # checked before reading: the text, its indices and their tensor take ~20 bytes a byte
        check_fits(torch.device("cpu"), path.stat().st_size * BYTES_PER_BOOK_BYTE, txt_file=path)
    try:
        return TextDataset(config.txt_file, config.seq_length, seed=derive_seed(config.seed, stream))
    except FileNotFoundError:
        raise UserError(f"text file '{config.txt_file}' not found; give a book with --txt_file "
                        f"(python -m part2.paper.books fetches the course's books)") from None
    except (OSError, ValueError) as e:
        raise UserError(str(e)) from None


def bytes_needed(config, vocab_size):
    """About how many bytes a run allocates: parameters with gradients and Adam's state, one step's activations,
    and one chunk of the validation windows' logits."""
    n, layers, V = config.lstm_num_hidden, config.lstm_num_layers, vocab_size
    parameters = (layers * 4 * n * (2 * n + 2) + 2 * V * n + V) * 4 * 4
    step = config.batch_size * config.seq_length * (layers * n * 12 + V * 3) * 4
    validation = 512 * config.seq_length * (layers * n * 6 + V * 2) * 4
    return parameters + step + validation
