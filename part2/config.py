"""The configuration of a part 2 training run: the course's option names and defaults, checked once, the command
line generated from them, and start2.py's presets."""
from dataclasses import dataclass

from uvadl2019.checks import UserError, check_at_least, check_positive, check_seeds
from uvadl2019.cli import Config, max_norm_value, option, parse_into
from uvadl2019.device import DEVICE_HELP

# Options that change where or how often a run reports, not what it computes: free to change on --resume.
NOT_RUN_DEFINING = ("train_steps", "device", "out_dir", "summary_path", "resume", "print_every", "sample_every",
                    "eval_every", "checkpoint_every", "tensorboard", "dry_run", "quiet")


@dataclass(frozen=True)
class TextTrainConfig(Config):
    """One run of part2.train. Constructing it checks it: a value that cannot train is a one-line UserError."""
    txt_file: str = option(None, "path to the text to train on", required=True)
    seq_length: int = option(30, "characters per training window (default: 30)")
    lstm_num_hidden: int = option(128, "hidden units per LSTM layer (default: 128)")
    lstm_num_layers: int = option(2, "LSTM layers (default: 2)")
    batch_size: int = option(64, "windows per step (default: 64)")
    learning_rate: float = option(2e-3, "Adam learning rate (default: 2e-3)")
    learning_rate_decay: float = option(0.96, "learning rate factor every --learning_rate_step steps (default: 0.96)")
    learning_rate_step: int = option(5000, "steps between decays (default: 5000)")
    dropout_keep_prob: float = option(1.0, "keep probability of dropout between LSTM layers (default: 1.0, no "
                                           "dropout)")
    train_steps: int = option(1_000_000, "training steps (default: 1000000)")
    max_norm: float = option(5.0, "gradient norm clipping threshold, or off (default: 5.0)", type=max_norm_value)
    summary_path: str = option(None, "folder of metrics.csv and training.png (default: --out_dir)", type=str)
    print_every: int = option(5, "progress line and metrics row every N steps (default: 5)")
    sample_every: int = option(100, "append samples to samples_over_training.txt every N steps (default: 100)")
    eval_every: int = option(1000, "validation loss and accuracy every N steps, 0: never (default: 1000)")
    checkpoint_every: int = option(1000, "checkpoint every N steps (default: 1000)")
    device: str = option("auto", DEVICE_HELP)
    seed: int = option(42, "seed of initialisation, batches, dropout and samples (default: 42)")
    out_dir: str = option("results/part2", "folder of checkpoint, samples and metrics (default: results/part2)")
    resume: bool = option(False, "continue the run whose checkpoint.pt is in --out_dir")
    tensorboard: str = option(None, "also write TensorBoard scalars (those of metrics.csv) and the samples into DIR; "
                                    "process 0 only (default: off)", type=str, metavar="DIR")
    dry_run: bool = option(False, "train 3 steps and sample into a temporary folder, then delete it", flag="--dry-run")
    quiet: bool = option(False, "no progress bar: the course's progress line every --print_every steps instead "
                                "(also where there is no terminal)")

    def check(self):
        check_at_least(1, seq_length=self.seq_length, lstm_num_hidden=self.lstm_num_hidden,
                       lstm_num_layers=self.lstm_num_layers, batch_size=self.batch_size,
                       learning_rate_step=self.learning_rate_step, train_steps=self.train_steps,
                       print_every=self.print_every, sample_every=self.sample_every,
                       checkpoint_every=self.checkpoint_every)
        check_at_least(0, eval_every=self.eval_every)
        if not 0 < self.dropout_keep_prob <= 1:
            raise UserError(f"--dropout_keep_prob must be in (0, 1], got {self.dropout_keep_prob}")
        check_positive(learning_rate=self.learning_rate, learning_rate_decay=self.learning_rate_decay,
                       max_norm=self.max_norm)  # max_norm None: no clipping
        check_seeds("seed", self.seed)



def parse_config(argv=None):
    """The TextTrainConfig of a part2.train command line; a bad value is a UserError."""
    return parse_into(TextTrainConfig, argv, "python -m part2.train",
                      "Train the two-layer character LSTM that generates text.")
