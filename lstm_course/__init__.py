"""lstm_course: the LSTM math behind the course, one time step at a time.

Modules: :mod:`~lstm_course.cell` (the six equations), :mod:`~lstm_course.layout`
(PyTorch's gate order), :mod:`~lstm_course.layer` (a sequence module that loads
``torch.nn.LSTM`` state dicts), :mod:`~lstm_course.reference` (numpy forward and
hand-written backward), :mod:`~lstm_course.gradients`, :mod:`~lstm_course.tasks`,
:mod:`~lstm_course.viz`, :mod:`~lstm_course.widgets` and the exercise tools.
"""

from . import viz, widgets
from .cell import (
    StepGates,
    candidate,
    cell_update,
    concat_hx,
    forget_gate,
    hidden_state,
    input_gate,
    lstm_step,
    output_gate,
)
from .devices import available_devices, get_device
from .layer import LSTM, SequenceGates
from .layout import GATE_ORDER, CellWeights, from_torch_layout, to_torch_layout
from .viz import draw_cell, figure_alt
from .widgets import explorer

__version__ = "0.1.0"

__all__ = [
    "GATE_ORDER",
    "LSTM",
    "CellWeights",
    "SequenceGates",
    "StepGates",
    "available_devices",
    "candidate",
    "cell_update",
    "concat_hx",
    "draw_cell",
    "explorer",
    "figure_alt",
    "forget_gate",
    "from_torch_layout",
    "get_device",
    "hidden_state",
    "input_gate",
    "lstm_step",
    "output_gate",
    "to_torch_layout",
    "viz",
    "widgets",
]
