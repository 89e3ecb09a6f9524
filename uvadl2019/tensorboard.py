"""TensorBoard event files (--tensorboard DIR): the tensorboard package is imported only when a folder is given."""
from uvadl2019.checks import UserError


def summary_writer(log_dir, purge_step=None):
    """A SummaryWriter into `log_dir` (inside the --tensorboard folder that the command checked at its start);
    purge_step: a resumed run's first step, from which events of the interrupted run are dropped. A missing package is
    a UserError."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise UserError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
    return SummaryWriter(str(log_dir), purge_step=purge_step)
