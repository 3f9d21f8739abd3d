"""lstm_course: the LSTM math behind the course, one time step at a time.

Modules: :mod:`~lstm_course.cell` (the six equations), :mod:`~lstm_course.layout`
(PyTorch's gate order), :mod:`~lstm_course.layer` (a sequence module that loads
``torch.nn.LSTM`` state dicts), :mod:`~lstm_course.reference` (numpy forward and
hand-written backward), :mod:`~lstm_course.gradients`, :mod:`~lstm_course.tasks`,
:mod:`~lstm_course.probes` (linear probes and the surviving first write),
:mod:`~lstm_course.viz`, :mod:`~lstm_course.widgets` and the exercise tools.
"""

from . import gradients, live_cell, probes, reference, tasks, viz, widgets
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
from .gradients import (
    forget_path_product,
    gradient_ratio_at,
    lstm_gradient_norms,
    rnn_gradient_norms,
    rnn_step,
    sweep_forget_bias,
    sweep_length,
    sweep_weight_scale,
)
from .gru import GRUGates, gru_candidate, gru_hidden_state, gru_step, reset_gate, update_gate
from .gru_layer import GRU, GRUSequenceGates
from .layer import LSTM, SequenceGates
from .layout import GATE_ORDER, GRU_GATE_ORDER, CellWeights, GRUWeights, from_torch_layout, to_torch_layout
from .live_cell import cell_explorer
from .reference import (
    gradient_check,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    numerical_gradient,
    rel_error,
)
from .tasks import DEFAULT_CONFIG, RecallTask, SequenceClassifier, TrainConfig, evaluate, run_experiment, train
from .variants import CoupledWeights, PeepholeWeights, VariantLSTM, coupled_step, peephole_step
from .viz import draw_cell, figure_alt
from .widgets import explorer

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_CONFIG",
    "GATE_ORDER",
    "GRU",
    "GRU_GATE_ORDER",
    "LSTM",
    "PeepholeWeights",
    "CellWeights",
    "CoupledWeights",
    "GRUGates",
    "GRUSequenceGates",
    "GRUWeights",
    "RecallTask",
    "SequenceClassifier",
    "SequenceGates",
    "StepGates",
    "TrainConfig",
    "VariantLSTM",
    "available_devices",
    "candidate",
    "cell_explorer",
    "cell_update",
    "concat_hx",
    "coupled_step",
    "draw_cell",
    "evaluate",
    "explorer",
    "figure_alt",
    "forget_gate",
    "forget_path_product",
    "from_torch_layout",
    "get_device",
    "gradient_check",
    "gradient_ratio_at",
    "gradients",
    "gru_candidate",
    "gru_hidden_state",
    "gru_step",
    "hidden_state",
    "input_gate",
    "live_cell",
    "lstm_backward",
    "lstm_forward",
    "lstm_gradient_norms",
    "lstm_step",
    "lstm_step_backward",
    "lstm_step_forward",
    "numerical_gradient",
    "output_gate",
    "peephole_step",
    "probes",
    "reference",
    "rel_error",
    "reset_gate",
    "rnn_gradient_norms",
    "rnn_step",
    "run_experiment",
    "sweep_forget_bias",
    "sweep_length",
    "sweep_weight_scale",
    "tasks",
    "to_torch_layout",
    "train",
    "update_gate",
    "viz",
    "widgets",
]
