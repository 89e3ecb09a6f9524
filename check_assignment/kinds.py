"""What the checker knows: the course's file of each class (and of each training loop), how a student's file is
opened, and its checks."""
from functools import partial

from check_assignment import loop_checks, rnn_checks, text_checks
from check_assignment.student import open_model

KINDS = {"VanillaRNN": ("part1/vanilla_rnn.py", partial(open_model, rnn_checks.Student), rnn_checks.CHECKS),
         "LSTM": ("part1/lstm.py", partial(open_model, rnn_checks.Student), rnn_checks.CHECKS),
         "TextGenerationModel": ("part2/model.py", partial(open_model, text_checks.TextStudent), text_checks.CHECKS),
         "train.py (part 1)": ("part1/train.py", loop_checks.LoopStudent.open, loop_checks.CHECKS),
         "train.py (part 2)": ("part2/train.py", loop_checks.LoopStudent.open, loop_checks.CHECKS)}
# Learning cannot be judged where weights never train or dropout drops everything: then "it learns" is skipped.
NEEDS = {"it learns": ("every weight learns", "two layers and dropout")}


def check_names(kind):
    """Every check of a kind, in the order they run."""
    return ("loads", *KINDS[kind][2])
