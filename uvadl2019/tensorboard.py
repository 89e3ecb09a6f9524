"""TensorBoard event files (--tensorboard DIR): the tensorboard package is imported only when a folder is given."""
from uvadl2019.cli import UserError
from uvadl2019.files import ensure_writable_dir


def summary_writer(log_dir, purge_step=None):
    """A SummaryWriter into `log_dir`, created and checked first; purge_step: a resumed run's first step, from which
    events of the interrupted run are dropped. A missing package or an unwritable folder is a UserError."""
    log_dir = ensure_writable_dir(log_dir, "--tensorboard")
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise UserError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
    return SummaryWriter(str(log_dir), purge_step=purge_step)
