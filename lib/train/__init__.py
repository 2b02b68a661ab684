"""Training: ``train(params)`` runs one detector training from typed parameters;
``fit`` is the method-agnostic loop that compression methods extend with callbacks."""
from .callbacks import Callback, Context, freeze
from .loop import Loop, fit, train_one_epoch
from .loss import YoloLoss
from .run import train

__all__ = ["Callback", "Context", "Loop", "YoloLoss", "fit", "freeze", "train", "train_one_epoch"]
