"""Training: ``train(params)`` runs one detector training from typed parameters;
``fit`` is the method-agnostic loop that compression methods extend with callbacks."""
from .callbacks import Callback, Context, freeze
from .loop import Loop, fit, train_one_epoch
from .loss import LossGains, YoloLoss
from .run import default_run_dir, train

__all__ = ["Callback", "Context", "Loop", "LossGains", "YoloLoss", "default_run_dir", "fit", "freeze", "train",
           "train_one_epoch"]
