"""The configuration of one part 1 training run: the course's option names and defaults, checked once, and the
command line generated from them."""
import hashlib
import json
from dataclasses import dataclass

from uvadl2019.checks import check_at_least, check_finite, check_positive, check_seeds, check_threads
from uvadl2019.cli import Config, max_norm_value, option, parse_into
from uvadl2019.device import DEVICE_HELP
from part1.fast.backend import BACKENDS, DEVICE_NAMES, IMPLEMENTATIONS
from part1.recurrent import INITIALISATIONS

MODEL_TYPES = ("RNN", "LSTM")
NATIVE = ", ".join(f"{b.name} on {DEVICE_NAMES[b.device_type]}" for b in BACKENDS.values() if b.device_type)
IMPL_HELP = (f"fast: the hand-written backward through time with the device's native back end ({NATIVE}; else "
             f"torch); reference: the plain autograd loop; "
             f"{', '.join(name for name in BACKENDS if name != 'reference')}: a back end by name. Same maths "
             f"(default: fast)")
# Options that change how a run is carried out or reported, not what it computes.
NOT_RUN_DEFINING = ("device", "out_dir", "print_every", "tensorboard", "dry_run", "quiet")


@dataclass(frozen=True)
class TrainConfig(Config):
    """One run of part1.train. Constructing it checks it: a value that cannot train is a one-line UserError."""
    model_type: str = option("RNN", "model type (default: RNN)", choices=MODEL_TYPES)
    input_length: int = option(10, "number of input digits; the palindrome has input_length + 1 digits (default: 10)")
    input_dim: int = option(1, "1: each digit as one number, 10: one-hot digits (default: 1)", choices=(1, 10))
    num_classes: int = option(10, "number of output classes (default: 10)")
    num_hidden: int = option(128, "number of hidden units (default: 128)")
    batch_size: int = option(128, "palindromes per training step (default: 128)")
    learning_rate: float = option(0.001, "learning rate (default: 0.001)")
    train_steps: int = option(10000, "maximum number of training steps (default: 10000)")
    max_norm: float = option(10.0, "gradient norm clipping threshold, or off (default: 10.0)", type=max_norm_value)
    device: str = option("auto", DEVICE_HELP)
    impl: str = option("fast", IMPL_HELP, choices=IMPLEMENTATIONS)
    cuda_graph: str = option("auto", "auto: on CUDA, capture the training step once as a CUDA graph and replay it "
                                     "(default: auto)", choices=("auto", "off"))
    seed: int = option(42, "seed of initialisation, training and test data (default: 42)")
    optimizer: str = option("rmsprop", "optimizer (default: rmsprop)", choices=("rmsprop", "adam"))
    init: str = option("xavier_normal", "xavier_normal: weights N(0, 2 / (fan_in + fan_out)), as the report's code; "
                                        "uniform: U(-1/sqrt(num_hidden), 1/sqrt(num_hidden)), PyTorch's RNN scheme "
                                        "(default: xavier_normal)", choices=INITIALISATIONS)
    forget_bias: float = option(1.0, "LSTM forget-gate bias at initialisation (default: 1.0)")
    min_steps: int = option(None, "steps before the convergence rule may stop training (default: never stop early)",
                            type=int)
    conv_eps: float = option(5e-4, "the report's rule: every 100 steps after min_steps, stop when |latest loss - "
                                   "mean of the 100 losses before the two latest| < conv_eps (default: 5e-4)")
    eval_size: int = option(8192, "held-out test palindromes (default: 8192)")
    num_threads: int = option(0, "CPU threads for this run, 0: PyTorch's default (default: 0)")
    print_every: int = option(10, "print a progress line every N steps, 0: never (default: 10)")
    out_dir: str = option("results/part1/train", "folder of runs.jsonl (default: results/part1/train)")
    tensorboard: str = option(None, "also write TensorBoard scalars (training loss, accuracy and learning rate every "
                                    "--print_every steps, or 100 when 0; test loss and accuracy at the end) into a "
                                    "folder of this run under DIR (default: off)", type=str, metavar="DIR")
    dry_run: bool = option(False, "train 3 steps, evaluate on 256 palindromes, write nothing", flag="--dry-run")
    quiet: bool = option(False, "no progress bar (the --print_every lines stay)")

    def check(self):
        check_at_least(1, input_length=self.input_length, num_hidden=self.num_hidden, batch_size=self.batch_size,
                       train_steps=self.train_steps, eval_size=self.eval_size)
        check_at_least(10, num_classes=self.num_classes)  # one class per digit
        check_at_least(0, num_threads=self.num_threads, print_every=self.print_every, min_steps=self.min_steps,
                       conv_eps=self.conv_eps)
        check_positive(learning_rate=self.learning_rate, max_norm=self.max_norm)  # max_norm None: no clipping
        check_finite(forget_bias=self.forget_bias, conv_eps=self.conv_eps)
        check_seeds("seed", self.seed)
        check_threads(num_threads=self.num_threads)

    def key(self):
        """What identifies the run: every option that changes its result, as a string."""
        return key_of(self.to_dict())


def key_of(config):
    """TrainConfig.key() of a config as a dict, such as a record's "config"."""
    return json.dumps({k: v for k, v in config.items() if k not in NOT_RUN_DEFINING}, sort_keys=True)


def digest_of(key):
    """A short name for a run key, for file names."""
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def parse_config(argv=None):
    """The TrainConfig of a part1.train command line; a bad value is a UserError."""
    return parse_into(TrainConfig, argv, "python -m part1.train",
                      "Train a VanillaRNN or LSTM to predict the last digit of a palindrome.")
