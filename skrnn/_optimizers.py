"""Stochastic optimizers and gradient clipping over named parameter arrays.

The optimizers mirror scikit-learn's
``sklearn/neural_network/_stochastic_optimizers.py`` (same names, same update
formulas, same learning-rate schedules and stopping hooks) but work on
``dict[str, np.ndarray]`` keyed by parameter name, such as ``"embed.E"``,
``"layer0.fwd.W_hh"`` or ``"head.W_hy"``. Optimizer state (velocities,
moment estimates) is keyed by the same names.

Parameters are updated in place: the training loop and the network keep
references to the same array objects. State arrays take the dtype of their
parameter and every scalar factor is a Python ``float``, so float32 training
stays float32.

Only the keys present in ``grads`` are updated, which is how frozen
parameters are excluded: the caller leaves them out of ``grads``.

Each optimizer class declares, in ``hyperparameters``, the parameters of
:class:`~skrnn.RNNTextClassifier` (which are ``MLPClassifier``'s) that it
takes, under the same names; :func:`build_optimizer` makes one from the
:data:`OPTIMIZERS` registry and the estimator's parameters. Adding an
optimizer is one class and one call of :func:`register_optimizer` (public as
``skrnn.register_optimizer``), which checks the class against the estimator.
"""

# Authors: The skrnn developers
# SPDX-License-Identifier: BSD-3-Clause

import inspect
import math
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from .nn._embedding import RowGrad
from .nn._registry import Registry

__all__ = [
    "BUILTIN_OPTIMIZERS",
    "ESTIMATOR_HYPERPARAMETERS",
    "LR_SCHEDULES",
    "OPTIMIZERS",
    "AdamOptimizer",
    "AdamWOptimizer",
    "BaseOptimizer",
    "SGDOptimizer",
    "build_optimizer",
    "clip_by_global_norm",
    "clip_by_value",
    "cosine_learning_rate",
    "global_norm",
    "register_optimizer",
    "unregister_optimizer",
]

LR_SCHEDULES = ("constant", "invscaling", "adaptive", "cosine")
"""Learning-rate schedules: "cosine" for every optimizer, the others for SGD."""

OptimizerState = dict[str, np.ndarray | float | int]


def cosine_learning_rate(learning_rate_init: float, step: int, n_steps: int) -> float:
    r"""The learning rate of step ``step`` of a half cosine over ``n_steps`` steps.

    Parameters
    ----------
    learning_rate_init : float
        The rate of the first step.

    step : int
        The step, counted from 0. From ``n_steps`` on, the rate is 0.

    n_steps : int
        The length of the decay, at least 1.

    Returns
    -------
    learning_rate : float
        :math:`\eta_0 (1 + \cos(\pi \min(k, T) / T)) / 2` for step :math:`k` of
        :math:`T`, as PyTorch's ``CosineAnnealingLR`` with ``eta_min=0`` and
        ``T_max`` :math:`= T` gives.

    Examples
    --------
    >>> from skrnn._optimizers import cosine_learning_rate
    >>> [round(cosine_learning_rate(0.01, k, 4), 6) for k in range(5)]
    [0.01, 0.008536, 0.005, 0.001464, 0.0]
    """
    progress = min(step, n_steps) / n_steps
    return learning_rate_init * (1 + math.cos(math.pi * progress)) / 2


class BaseOptimizer:
    """Base stochastic gradient descent optimizer over named parameters.

    A subclass, made an option of ``solver`` by :func:`register_optimizer`,
    provides:

    - ``hyperparameters``: the estimator's parameters that it reads, by
      their names, each a constructor argument kept as an attribute of the
      same name (:meth:`get_hyperparameters` reads them back).  Its other
      settings, such as RMSprop's decay rate, are constructor arguments with
      defaults.
    - ``__init__(params, <hyperparameters>...)``: calls
      ``super().__init__(learning_rate_init, learning_rate)`` and allocates
      its state: per buffer, a dict of arrays keyed by the names of
      ``params``, each of its parameter's shape and dtype.
    - ``_buffer_names``: the names of those dicts (identifiers), and
      ``_scalar_names``: its scalar state (Python ints and floats), this
      class's names and its own, such as Adam's step count ``t``.
      :meth:`get_state` and :meth:`set_state` save and restore them.
    - ``_step(grad, *buffers, scratch)``: updates the buffers in place from
      the gradient, element-wise, and returns the update to add to the
      parameters (a buffer or one of the two ``scratch`` arrays, all of one
      shape), at the rate ``current_learning_rate``.

    It may also override ``_begin_step`` (per-step scalars, before the
    update; call this class's for the "cosine" schedule), ``_apply`` (how an
    update is added), :meth:`iteration_ends`, :meth:`trigger_stopping`,
    ``schedules`` and ``decoupled_weight_decay``.  The dense parameters take
    their step together, over one flat array of their gradients and one of
    each buffer (the dicts hold views of it): a batch costs a few calls, not
    a few per parameter; a lookup table's step is only the rows that a batch
    read.

    Parameters
    ----------
    learning_rate_init : float, default=0.1
        The initial learning rate. It controls the step size in updating the
        parameters.

    learning_rate : {"constant", "invscaling", "adaptive", "cosine"}, \
            default="constant"
        Learning-rate schedule. This class applies two, and takes the others
        (:class:`SGDOptimizer`'s) as "constant", as scikit-learn's Adam does.

        - "constant": ``learning_rate_init`` throughout.
        - "cosine": falls from ``learning_rate_init`` to 0 along a half cosine
          (:func:`cosine_learning_rate`), a little at every step, over the
          epochs that :meth:`plan_epochs` announces; :meth:`iteration_ends`
          marks the end of each epoch.

    Attributes
    ----------
    current_learning_rate : float
        The learning rate of the last update: ``learning_rate_init`` as the
        schedule or the bias correction changed it.

    schedule_epoch : int
        With the "cosine" schedule only: the epochs of the schedule done.

    schedule_step : int
        With the "cosine" schedule only: the steps taken in the current epoch.
    """

    #: The parameters of the estimator that the constructor takes, by name.
    hyperparameters: tuple[str, ...] = ("learning_rate_init", "learning_rate")
    #: The schedules that act as themselves; any other value of
    #: ``learning_rate`` acts as "constant" (see :meth:`schedule_taken`).
    #: This class applies these two; a subclass that applies more says so.
    schedules: tuple[str, ...] = ("constant", "cosine")
    #: Whether the optimizer applies ``alpha`` itself, as decoupled weight
    #: decay: the training loop then adds no L2 penalty to the loss.
    decoupled_weight_decay: bool = False
    _buffer_names: tuple[str, ...] = ()
    _scalar_names: tuple[str, ...] = ("current_learning_rate",)
    #: The scalars that the "cosine" schedule adds to ``_scalar_names``.
    _cosine_scalar_names = ("schedule_epoch", "schedule_step")

    def __init__(
        self, learning_rate_init: float = 0.1, learning_rate: str = "constant"
    ) -> None:
        if learning_rate not in LR_SCHEDULES:
            raise ValueError(
                f"learning_rate must be one of {LR_SCHEDULES}, got {learning_rate!r}."
            )
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = learning_rate
        self.current_learning_rate = float(learning_rate_init)
        self._flat_layouts: dict[np.dtype, _FlatLayout] = {}
        if learning_rate == "cosine":
            self._scalar_names = (*self._scalar_names, *self._cosine_scalar_names)
            self.schedule_epoch = 0
            self.schedule_step = 0
            self._n_epochs: int | None = None
            self._n_steps: int | None = None

    def plan_epochs(self, n_epochs: int, n_steps: int, *, restart: bool) -> None:
        """Announce the epochs to come, for the "cosine" schedule.

        The rate falls to 0 over ``n_epochs`` epochs of ``n_steps`` steps:
        the ``k``-th step of the epoch after ``e`` epochs of the schedule
        takes :func:`cosine_learning_rate` of step ``e * n_steps + k`` of
        ``n_epochs * n_steps``.  Other schedules ignore the call.

        Parameters
        ----------
        n_epochs : int
            The length of the schedule in epochs (the estimator's
            ``max_iter``), at least 1.

        n_steps : int
            The steps of each epoch to come, at least 1.

        restart : bool
            Whether the schedule begins again (a ``fit``), rather than
            going on from the epochs it has done (``partial_fit``).
        """
        if self.learning_rate != "cosine":
            return
        self._n_epochs, self._n_steps = int(n_epochs), int(n_steps)
        if restart:
            self.schedule_epoch = 0
            self.schedule_step = 0

    @classmethod
    def schedule_taken(cls, learning_rate: str) -> str:
        """The schedule that ``learning_rate`` gives this optimizer.

        Adam's moments adapt every step, so it takes only "constant" and
        "cosine", as scikit-learn's takes only "constant": another value acts
        as "constant", and is one setting with it, so that changing between
        them neither starts a new optimizer at a warm start nor tells a
        saved model from another.
        """
        return learning_rate if learning_rate in cls.schedules else "constant"

    def schedule_position(self) -> tuple[int, int] | None:
        """The epochs and steps of the "cosine" schedule done; None for others."""
        if self.learning_rate != "cosine":
            return None
        return self.schedule_epoch, self.schedule_step

    def set_schedule_position(self, position: tuple[int, int] | None) -> None:
        """Put the schedule back where :meth:`schedule_position` found it."""
        if position is not None:
            self.schedule_epoch, self.schedule_step = position

    def skip_step(self) -> None:
        """Count a step that takes none: a minibatch of weight 0.

        The "cosine" schedule planned every minibatch of the epoch as a
        step; skipping one still moves it along, so that the epoch ends at
        the rate it planned.
        """
        if self.learning_rate == "cosine":
            self.schedule_step += 1

    def _scheduled_rate(self) -> float:
        """The schedule's rate for the step about to be taken (then one step on).

        Before any bias correction: ``learning_rate_init`` but for "cosine".
        """
        if self.learning_rate != "cosine":
            return self.learning_rate_init
        if self._n_steps is None:
            raise RuntimeError(
                "learning_rate='cosine' needs the length of training: call "
                "plan_epochs before the first step."
            )
        step = self.schedule_epoch * self._n_steps + self.schedule_step
        self.schedule_step += 1
        return cosine_learning_rate(
            self.learning_rate_init, step, self._n_epochs * self._n_steps
        )

    def get_hyperparameters(self) -> dict[str, Any]:
        """Return the hyperparameters, by the estimator's names.

        Returns
        -------
        hyperparameters : dict of str to object
            The value of each name of ``hyperparameters``: with the
            ``solver``, the settings from which :func:`build_optimizer` makes
            this optimizer's twin.
        """
        return {name: getattr(self, name) for name in self.hyperparameters}

    def update_params(
        self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]
    ) -> None:
        """Update parameters in place with the given gradients.

        Parameters
        ----------
        params : dict of str to ndarray
            Parameter arrays keyed by name. May hold more keys than ``grads``
            (frozen parameters); those are left untouched. The arrays are
            modified in place.

        grads : dict of str to ndarray
            Gradients of the loss keyed by parameter name, each of the same
            shape as its parameter. Only these keys are updated.

        Raises
        ------
        KeyError
            If a key of ``grads`` has no optimizer state (it was not among the
            parameters the optimizer was created with) or is not in ``params``.
        ValueError
            If a gradient's shape differs from its parameter's shape.
        """
        for name, grad in grads.items():
            # Check everything before any parameter or state changes.
            if grad.shape != params[name].shape:
                raise ValueError(
                    f"Gradient {name!r} has shape {grad.shape}, "
                    f"but its parameter has shape {params[name].shape}."
                )
            for buffer_name in self._buffer_names:
                self._buffer(buffer_name, name)
        self._begin_step()
        dense: dict[np.dtype, list[str]] = {}
        for name, grad in grads.items():
            if isinstance(grad, RowGrad):
                self._update_rows(name, params[name], grad)
            else:
                dense.setdefault(params[name].dtype, []).append(name)
        for dtype, names in dense.items():
            self._update_dense(params, grads, dtype, tuple(names))

    def _update_dense(
        self,
        params: Mapping[str, np.ndarray],
        grads: Mapping[str, np.ndarray],
        dtype: np.dtype,
        names: tuple[str, ...],
    ) -> None:
        """One step of the dense parameters ``names``, all of ``dtype``, at once.

        Their state lives in one flat array per buffer (the state dicts hold
        views of it) and their gradients are packed into another, so that a
        step is one call per operation of :meth:`_step` whatever the number
        of parameters, and one addition per parameter.
        """
        states = [getattr(self, buffer_name) for buffer_name in self._buffer_names]
        layout = self._flat_layouts.get(dtype)
        if layout is None or not layout.holds(names, states):
            shapes = [params[name].shape for name in names]
            layout = _FlatLayout(names, shapes, states, dtype)
            self._flat_layouts[dtype] = layout
        np.concatenate([grads[name].ravel() for name in names], out=layout.grad)
        update = self._step(layout.grad, *layout.buffers, scratch=layout.scratch)
        for name, view in zip(names, layout.views_of(update), strict=True):
            self._apply(name, params[name], view)

    def _update_rows(self, name: str, param: np.ndarray, grad: RowGrad) -> None:
        """Lazy update: only the rows that have a gradient, and their state.

        As torch's SparseAdam and TF's LazyAdam.
        """
        ids = grad.ids
        buffers = [getattr(self, buffer)[name] for buffer in self._buffer_names]
        param_rows = param[ids]
        buffer_rows = [buffer[ids] for buffer in buffers]
        scratch = (np.empty_like(param_rows), np.empty_like(param_rows))
        update = self._step(grad.rows, *buffer_rows, scratch=scratch)
        self._apply(name, param_rows, update)
        param[ids] = param_rows
        for buffer, rows in zip(buffers, buffer_rows, strict=True):
            buffer[ids] = rows

    def _begin_step(self) -> None:
        """Update per-step scalars before the parameters are updated."""
        if self.learning_rate == "cosine":
            self.current_learning_rate = self._scheduled_rate()

    def _step(
        self,
        grad: np.ndarray,
        *buffers: np.ndarray,
        scratch: tuple[np.ndarray, np.ndarray],
    ) -> np.ndarray:
        """Update the state ``buffers`` in place from ``grad``; return the update.

        ``grad``, the buffers and the two ``scratch`` arrays have one shape:
        one parameter's rows, or the flat concatenation of several
        parameters. The update, to be added to the parameters, may be a
        buffer or a scratch array.
        """
        raise NotImplementedError

    def _apply(self, name: str, param: np.ndarray, update: np.ndarray) -> None:
        """Add the ``update`` of :meth:`_step` to the parameter ``name``."""
        param += update

    def __getstate__(self) -> dict[str, Any]:
        # A copy or a pickle holds the state dicts' arrays, each on its own
        # (a view is copied alone): the flat arrays are made again from them.
        state = self.__dict__.copy()
        state.pop("_flat_layouts", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._flat_layouts = {}

    def _buffer(self, buffer_name: str, name: str) -> np.ndarray:
        try:
            return getattr(self, buffer_name)[name]
        except KeyError:
            raise KeyError(
                f"No optimizer state for parameter {name!r}: the optimizer was "
                "created without it."
            ) from None

    def iteration_ends(self, time_step: int) -> None:
        """Update the learning rate and other state at the end of an epoch.

        Parameters
        ----------
        time_step : int
            Number of training samples seen so far.

        Notes
        -----
        The scratch arrays of the flat steps are let go here (see
        :meth:`release_scratch`).
        """
        if self.learning_rate == "cosine":
            self.schedule_epoch += 1
            self.schedule_step = 0
        self.release_scratch()

    def release_scratch(self) -> None:
        """Let go of the flat steps' scratch arrays.

        A fitted model then does not hold them: the state arrays stay where
        they are, and the next step makes new scratch arrays.
        """
        self._flat_layouts = {}

    def trigger_stopping(self, msg: str, verbose: bool) -> bool:
        """Decide whether it is time to stop training.

        Called when training stopped improving.

        Parameters
        ----------
        msg : str
            Message for verbose output.

        verbose : bool
            Print the message to stdout if True.

        Returns
        -------
        is_stopping : bool
            True if training needs to stop.
        """
        if verbose:
            print(msg + " Stopping.")
        return True

    def get_state(self) -> OptimizerState:
        """Return the mutable optimizer state as plain arrays and scalars.

        Returns
        -------
        state : dict of str to ndarray, float or int
            Copies of the state arrays under ``"<buffer>.<parameter name>"``
            (for example ``"velocities.head.W_hy"`` or ``"ms.embed.E"``) and
            the scalars (``"current_learning_rate"``, ``"t"`` for Adam, and
            ``"schedule_epoch"`` and ``"schedule_step"`` for the "cosine"
            schedule) as Python ``float``/``int``. The hyperparameters are not
            included.

        See Also
        --------
        set_state : Restore a state returned by this method.
        """
        state: OptimizerState = {}
        for scalar_name in self._scalar_names:
            state[scalar_name] = getattr(self, scalar_name)
        for buffer_name in self._buffer_names:
            for name, array in getattr(self, buffer_name).items():
                state[f"{buffer_name}.{name}"] = array.copy()
        return state

    def set_state(self, state: Mapping[str, np.ndarray | float | int]) -> None:
        """Restore a state returned by :meth:`get_state`.

        State arrays are copied into the existing buffers, which keep their
        dtype. After ``set_state(other.get_state())`` this optimizer continues
        exactly as ``other`` would.

        Parameters
        ----------
        state : dict of str to ndarray, float or int
            The state, with exactly the keys :meth:`get_state` returns.

        Raises
        ------
        ValueError
            If keys are missing or unexpected, or an array has the wrong shape.
        """
        expected = set(self._scalar_names)
        for buffer_name in self._buffer_names:
            expected.update(
                f"{buffer_name}.{name}" for name in getattr(self, buffer_name)
            )
        missing, unexpected = expected - set(state), set(state) - expected
        if missing or unexpected:
            raise ValueError(
                "Optimizer state does not match the optimizer's parameters: "
                f"missing keys {sorted(missing)}, unexpected keys {sorted(unexpected)}."
            )
        # Validate every shape before mutating anything.
        for buffer_name in self._buffer_names:
            for name, array in getattr(self, buffer_name).items():
                key = f"{buffer_name}.{name}"
                shape = np.shape(state[key])
                if shape != array.shape:
                    raise ValueError(
                        f"Optimizer state {key!r} has shape {shape}, "
                        f"expected {array.shape}."
                    )
        for buffer_name in self._buffer_names:
            for name, array in getattr(self, buffer_name).items():
                np.copyto(array, state[f"{buffer_name}.{name}"], casting="same_kind")
        for scalar_name in self._scalar_names:
            current = getattr(self, scalar_name)
            setattr(self, scalar_name, type(current)(state[scalar_name]))


class SGDOptimizer(BaseOptimizer):
    r"""Stochastic gradient descent with momentum over named parameters.

    Parameters
    ----------
    params : dict of str to ndarray
        Parameter arrays keyed by name, used to allocate one velocity per
        parameter (same shape and dtype).

    learning_rate_init : float, default=0.1
        The initial learning rate.

    learning_rate : {"constant", "invscaling", "adaptive", "cosine"}, \
            default="constant"
        Learning-rate schedule.

        - "constant": ``learning_rate_init`` throughout.
        - "invscaling": decreased by :meth:`iteration_ends` to
          ``learning_rate_init / (t + 1) ** power_t``, where ``t`` is the
          number of training samples seen so far.
        - "adaptive": kept at ``learning_rate_init`` as long as training
          improves; each call to :meth:`trigger_stopping` divides it by 5,
          and training stops once it is at most 1e-6.
        - "cosine": falls to 0 along a half cosine, step by step, over the
          epochs of :meth:`~BaseOptimizer.plan_epochs`.

    power_t : float, default=0.5
        Exponent of the time step in the "invscaling" schedule.

    momentum : float, default=0.9
        Momentum, at least 0.

    nesterovs_momentum : bool, default=True
        Whether to use Nesterov's momentum.

    Attributes
    ----------
    current_learning_rate : float
        The learning rate of the schedule now.

    velocities : dict of str to ndarray
        Velocities keyed by parameter name.

    See Also
    --------
    AdamOptimizer : Adam, with bias-corrected moment estimates.
    sklearn.neural_network._stochastic_optimizers.SGDOptimizer :
        The list-based original this class mirrors (where ``learning_rate``
        is ``lr_schedule`` and ``nesterovs_momentum`` is ``nesterov``).

    Notes
    -----
    With learning rate :math:`\eta`, momentum :math:`\mu` and gradient
    :math:`g`, each step updates the velocity and the parameter as

    .. math::

        v \leftarrow \mu v - \eta g, \qquad
        \theta \leftarrow \theta + v

    or, with Nesterov's momentum,

    .. math::

        v \leftarrow \mu v - \eta g, \qquad
        \theta \leftarrow \theta + \mu v - \eta g.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn._optimizers import SGDOptimizer
    >>> params = {"head.W_hy": np.ones((2, 2))}
    >>> opt = SGDOptimizer(params, learning_rate_init=0.1, momentum=0.0)
    >>> opt.update_params(params, {"head.W_hy": np.ones((2, 2))})
    >>> params["head.W_hy"]
    array([[0.9, 0.9],
           [0.9, 0.9]])
    """

    hyperparameters = (
        "learning_rate_init",
        "learning_rate",
        "power_t",
        "momentum",
        "nesterovs_momentum",
    )
    schedules = LR_SCHEDULES
    _buffer_names = ("velocities",)

    def __init__(
        self,
        params: Mapping[str, np.ndarray],
        learning_rate_init: float = 0.1,
        learning_rate: str = "constant",
        power_t: float = 0.5,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
    ) -> None:
        super().__init__(learning_rate_init, learning_rate)
        self.power_t = float(power_t)
        self.momentum = float(momentum)
        self.nesterovs_momentum = bool(nesterovs_momentum)
        self.velocities = {name: np.zeros_like(p) for name, p in params.items()}

    def iteration_ends(self, time_step: int) -> None:
        """Update the learning rate at the end of an epoch.

        Parameters
        ----------
        time_step : int
            Number of training samples seen so far, used by the
            "invscaling" schedule.

        Raises
        ------
        ValueError
            If ``(time_step + 1) ** power_t`` overflows.
        """
        super().iteration_ends(time_step)
        if self.learning_rate == "invscaling":
            try:
                self.current_learning_rate = (
                    self.learning_rate_init / (time_step + 1) ** self.power_t
                )
            except OverflowError:
                raise ValueError(
                    "learning_rate='invscaling' divides learning_rate_init by "
                    f"(t + 1) ** power_t, which overflows with power_t="
                    f"{self.power_t} after t={time_step} samples; use a smaller "
                    "power_t, such as the default 0.5."
                ) from None

    def trigger_stopping(self, msg: str, verbose: bool) -> bool:
        """Decide whether to stop training, or lower the learning rate.

        With the "adaptive" schedule the learning rate is divided by 5 and
        training continues, unless it is already at most 1e-6. Any other
        schedule stops.

        Parameters
        ----------
        msg : str
            Message for verbose output.

        verbose : bool
            Print the message to stdout if True.

        Returns
        -------
        is_stopping : bool
            True if training needs to stop.
        """
        if self.learning_rate != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True

        if self.current_learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True

        self.current_learning_rate /= 5.0
        if verbose:
            print(msg + f" Setting learning rate to {self.current_learning_rate:f}")
        return False

    def _step(self, grad, velocity, *, scratch):
        if self.momentum == 0.0:
            # Plain SGD: v = -eta g whatever v was, and Nesterov's look-ahead
            # adds nothing; one operation instead of five.
            return np.multiply(grad, -self.current_learning_rate, out=velocity)
        step = np.multiply(grad, self.current_learning_rate, out=scratch[0])
        # v <- mu v - eta g, in the same operation order as scikit-learn.
        velocity *= self.momentum
        velocity -= step
        if not self.nesterovs_momentum:
            return velocity
        update = np.multiply(velocity, self.momentum, out=scratch[1])
        update -= step
        return update


class AdamOptimizer(BaseOptimizer):
    r"""Adam over named parameters.

    Default values are those of the original Adam paper.

    Parameters
    ----------
    params : dict of str to ndarray
        Parameter arrays keyed by name, used to allocate the moment estimates
        (same shape and dtype).

    learning_rate_init : float, default=0.001
        The initial learning rate.

    learning_rate : {"constant", "invscaling", "adaptive", "cosine"}, \
            default="constant"
        Learning-rate schedule of :math:`\eta_0`: "cosine" falls to 0 along a
        half cosine (see :class:`BaseOptimizer`); the others keep
        ``learning_rate_init``, as in scikit-learn, where only SGD takes them.

    beta_1 : float, default=0.9
        Exponential decay rate of the first moment estimates, in [0, 1).

    beta_2 : float, default=0.999
        Exponential decay rate of the second moment estimates, in [0, 1).

    epsilon : float, default=1e-8
        Value for numerical stability. It must not round to 0 in the dtype
        of the parameters (as 1e-300 does in float32).

    Attributes
    ----------
    current_learning_rate : float
        The bias-corrected step size of the last update.

    t : int
        Number of updates made so far.

    ms : dict of str to ndarray
        First moment estimates keyed by parameter name.

    vs : dict of str to ndarray
        Second moment estimates keyed by parameter name.

    See Also
    --------
    SGDOptimizer : Stochastic gradient descent with momentum.
    AdamWOptimizer : Adam with decoupled weight decay.
    sklearn.neural_network._stochastic_optimizers.AdamOptimizer :
        The list-based original this class mirrors.

    Notes
    -----
    At step :math:`t` (counted from 1) with gradient :math:`g`:

    .. math::

        m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2,

        \eta_t = \eta_0 \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}, \qquad
        \theta \leftarrow \theta - \eta_t \frac{m}{\sqrt{v} + \epsilon}.

    As in scikit-learn, the bias correction is folded into the step size
    :math:`\eta_t` and :math:`\epsilon` is added to the uncorrected
    :math:`\sqrt{v}`. The step counter :math:`t` advances once per call to
    :meth:`update_params`, whichever parameters that call updates.

    References
    ----------
    Kingma, Diederik, and Jimmy Ba (2014). "Adam: A method for stochastic
    optimization." arXiv:1412.6980.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn._optimizers import AdamOptimizer
    >>> params = {"embed.E": np.zeros(3, dtype=np.float32)}
    >>> opt = AdamOptimizer(params, learning_rate_init=0.1)
    >>> opt.update_params(params, {"embed.E": np.array([1, -2, 0], np.float32)})
    >>> params["embed.E"].round(4)
    array([-0.1,  0.1,  0. ], dtype=float32)
    """

    hyperparameters = (
        "learning_rate_init",
        "learning_rate",
        "beta_1",
        "beta_2",
        "epsilon",
    )
    schedules = ("constant", "cosine")
    _buffer_names = ("ms", "vs")
    _scalar_names = ("current_learning_rate", "t")

    def __init__(
        self,
        params: Mapping[str, np.ndarray],
        learning_rate_init: float = 0.001,
        learning_rate: str = "constant",
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
    ) -> None:
        super().__init__(learning_rate_init, learning_rate)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        for dtype in {np.dtype(p.dtype) for p in params.values()}:
            # sqrt(v) + epsilon is computed in the parameters' dtype: an
            # epsilon that rounds to 0 there divides 0 by 0 where v is 0.
            if dtype.type(self.epsilon) == 0:
                raise ValueError(
                    f"epsilon={self.epsilon:g} rounds to 0 in {dtype.name}, whose "
                    "smallest positive value is "
                    f"{np.finfo(dtype).smallest_subnormal:.1e}; use a larger "
                    "epsilon (the default is 1e-8) or dtype=numpy.float64."
                )
        self.t = 0
        self.ms = {name: np.zeros_like(p) for name, p in params.items()}
        self.vs = {name: np.zeros_like(p) for name, p in params.items()}

    def _begin_step(self) -> None:
        self.t += 1
        self._rate = self._scheduled_rate()
        # A Python float (math.sqrt, not np.sqrt) so float32 stays float32.
        self.current_learning_rate = (
            self._rate * math.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        )

    def _step(self, grad, m, v, *, scratch):
        # The operations (and roundings) of scikit-learn's update, each
        # written into a buffer instead of a new array.
        tmp, denom = scratch
        m *= self.beta_1
        m += np.multiply(grad, 1 - self.beta_1, out=tmp)
        v *= self.beta_2
        np.square(grad, out=tmp)
        tmp *= 1 - self.beta_2
        v += tmp
        np.sqrt(v, out=denom)
        denom += self.epsilon
        update = np.multiply(m, -self.current_learning_rate, out=tmp)
        update /= denom
        return update


class AdamWOptimizer(AdamOptimizer):
    r"""Adam with decoupled weight decay (AdamW) over named parameters.

    Parameters
    ----------
    params : dict of str to ndarray
        Parameter arrays keyed by name, used to allocate the moment estimates
        (same shape and dtype).

    learning_rate_init : float, default=0.001
        The initial learning rate.

    learning_rate : {"constant", "invscaling", "adaptive", "cosine"}, \
            default="constant"
        Learning-rate schedule, as in :class:`AdamOptimizer`; it scales the
        decay too.

    beta_1 : float, default=0.9
        Exponential decay rate of the first moment estimates, in [0, 1).

    beta_2 : float, default=0.999
        Exponential decay rate of the second moment estimates, in [0, 1).

    epsilon : float, default=1e-8
        Value for numerical stability, as in :class:`AdamOptimizer`.

    alpha : float, default=0.01
        Weight decay coefficient :math:`\lambda`: every step multiplies the
        decayed parameters by ``1 - learning_rate_init * alpha``, which must
        lie in (0, 1].

    penalized : collection of str or None, default=None
        Names of the parameters that decay (the estimator passes those that
        its L2 penalty would penalise); None decays every parameter.

    Attributes
    ----------
    current_learning_rate : float
        The bias-corrected step size of the last update.

    t : int
        Number of updates made so far.

    ms : dict of str to ndarray
        First moment estimates keyed by parameter name.

    vs : dict of str to ndarray
        Second moment estimates keyed by parameter name.

    See Also
    --------
    AdamOptimizer : The same steps without the decay.

    Notes
    -----
    Each step takes :class:`AdamOptimizer`'s step, and shrinks each decayed
    parameter in proportion to its value rather than through the gradient:

    .. math::

        \theta \leftarrow (1 - \eta_0 \lambda)\, \theta
            - \eta_t \frac{m}{\sqrt{v} + \epsilon}.

    An L2 penalty :math:`\frac{\lambda}{2} \lVert \theta \rVert^2` added to
    the loss would instead pass through :math:`m` and be divided by
    :math:`\sqrt{v}`, so that parameters with large gradients would be
    regularised less; decoupling the decay regularises all alike
    (Loshchilov and Hutter, 2019). As in PyTorch's ``AdamW``, the decay is
    scaled by the learning rate :math:`\eta_0` before the bias correction:
    ``learning_rate_init``, or the rate of the "cosine" schedule at this step
    (the schedule multiplier of the paper). With ``alpha=0`` the steps are
    exactly :class:`AdamOptimizer`'s.

    References
    ----------
    Loshchilov, Ilya, and Frank Hutter (2019). "Decoupled weight decay
    regularization." International Conference on Learning Representations.
    arXiv:1711.05101.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn._optimizers import AdamWOptimizer
    >>> params = {"head.W_hy": np.array([1.0, -2.0]), "head.b_y": np.array([1.0])}
    >>> opt = AdamWOptimizer(
    ...     params, learning_rate_init=0.1, alpha=0.5, penalized=["head.W_hy"]
    ... )
    >>> opt.update_params(params, {"head.W_hy": np.zeros(2), "head.b_y": np.zeros(1)})
    >>> params["head.W_hy"], params["head.b_y"]
    (array([ 0.95, -1.9 ]), array([1.]))
    """

    hyperparameters = (*AdamOptimizer.hyperparameters, "alpha")
    decoupled_weight_decay = True

    def __init__(
        self,
        params: Mapping[str, np.ndarray],
        learning_rate_init: float = 0.001,
        learning_rate: str = "constant",
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        alpha: float = 0.01,
        penalized: Collection[str] | None = None,
    ) -> None:
        super().__init__(
            params, learning_rate_init, learning_rate, beta_1, beta_2, epsilon
        )
        self.alpha = float(alpha)
        if not 0 <= self.learning_rate_init * self.alpha < 1:
            raise ValueError(
                "AdamW multiplies the weights by 1 - learning_rate_init * alpha "
                "at every step, which must lie in (0, 1]; got learning_rate_init="
                f"{self.learning_rate_init:g} and alpha={self.alpha:g}. Lower "
                "alpha."
            )
        self.penalized = frozenset(params if penalized is None else penalized)

    def _apply(self, name: str, param: np.ndarray, update: np.ndarray) -> None:
        if self.alpha and name in self.penalized:
            # Decoupled decay, from the weights before this step's update,
            # scaled by the schedule's rate as in PyTorch's AdamW.
            param *= 1.0 - self._rate * self.alpha
        param += update


_BUILTIN: dict[str, type[BaseOptimizer]] = {
    "sgd": SGDOptimizer,
    "adam": AdamOptimizer,
    "adamw": AdamWOptimizer,
}

_REGISTRY: Registry[type[BaseOptimizer]] = Registry(
    _BUILTIN, what="optimizer", namespace="skrnn"
)

#: The names of the optimizers every process knows, without a registration.
BUILTIN_OPTIMIZERS = _REGISTRY.builtin_names

OPTIMIZERS: Mapping[str, type[BaseOptimizer]] = _REGISTRY.view
"""Optimizer classes keyed by the option string (``solver``) that selects them.

Read only: see :func:`register_optimizer`.
"""

#: The estimator's parameters that configure its optimizer: those that the
#: built-in optimizers read.  An optimizer's ``hyperparameters`` are among
#: them; its other settings are its own (constructor defaults).
ESTIMATOR_HYPERPARAMETERS = frozenset(
    name for cls in _BUILTIN.values() for name in cls.hyperparameters
)


def register_optimizer(name: str, optimizer: type[BaseOptimizer]) -> None:
    """Make an optimizer available as ``RNNTextClassifier(solver=name)``.

    The estimators, :func:`skrnn.save` and :func:`skrnn.load` read the
    registry, so a registered optimizer fits, continues (``warm_start``,
    ``partial_fit``), saves, loads and pickles like a built-in one. The
    registry belongs to a process: one that loads or unpickles a model of
    the optimizer must register it first, and so must the worker processes
    of a parallel search.

    Parameters
    ----------
    name : str
        The option string.
    optimizer : type
        A subclass of :class:`BaseOptimizer`. Its ``hyperparameters`` name
        the estimator's parameters that it reads (some of
        ``learning_rate_init``, ``learning_rate``, ``power_t``,
        ``momentum``, ``nesterovs_momentum``, ``beta_1``, ``beta_2``,
        ``epsilon`` and ``alpha``); its constructor takes the parameter
        arrays, then these by name (and ``penalized`` if it sets
        ``decoupled_weight_decay``), and gives each of its other arguments
        a default: those are the optimizer's own settings.

    Raises
    ------
    TypeError
        If ``name`` is not a non-empty string or ``optimizer`` not a
        subclass of :class:`BaseOptimizer` that implements ``_step``.
    ValueError
        If an optimizer is already registered under ``name``, or
        ``optimizer`` reads a parameter the estimators do not have, or its
        constructor does not take what the estimator gives it.

    See Also
    --------
    unregister_optimizer : Remove it again.
    BaseOptimizer : What a subclass declares and implements.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import BaseOptimizer, register_optimizer, unregister_optimizer
    >>> class SignSGD(BaseOptimizer):
    ...     def __init__(self, params, learning_rate_init=0.01,
    ...                  learning_rate="constant"):
    ...         super().__init__(learning_rate_init, learning_rate)
    ...
    ...     def _step(self, grad, *, scratch):
    ...         return np.multiply(np.sign(grad), -self.current_learning_rate,
    ...                            out=scratch[0])
    >>> register_optimizer("signsgd", SignSGD)
    >>> from skrnn import RNNTextClassifier
    >>> clf = RNNTextClassifier(solver="signsgd", hidden_size=4, max_iter=2)
    >>> clf.fit(["a good film", "a bad film"], ["pos", "neg"]).n_iter_
    2
    >>> unregister_optimizer("signsgd")
    """
    if not (isinstance(optimizer, type) and issubclass(optimizer, BaseOptimizer)):
        raise TypeError(
            "register_optimizer takes a subclass of skrnn.BaseOptimizer; got "
            f"{optimizer!r:.80}."
        )
    if optimizer._step is BaseOptimizer._step:
        raise TypeError(
            f"{optimizer.__name__} does not implement _step, the update of a "
            "gradient and of its state (see skrnn.BaseOptimizer)."
        )
    if unknown := [
        setting
        for setting in optimizer.hyperparameters
        if setting not in ESTIMATOR_HYPERPARAMETERS
    ]:
        raise ValueError(
            f"{optimizer.__name__}.hyperparameters names {unknown}, which the "
            "estimators do not have: an optimizer reads the estimator's "
            f"parameters {sorted(ESTIMATOR_HYPERPARAMETERS)} by name, and takes "
            "its own other settings as defaults of its constructor."
        )
    given = dict.fromkeys(optimizer.hyperparameters)
    if optimizer.decoupled_weight_decay:
        given["penalized"] = None
    try:
        inspect.signature(optimizer).bind({}, **given)
    except TypeError as exc:
        raise ValueError(
            f"{optimizer.__name__}'s constructor must take the parameter arrays, "
            f"then {list(given)} by name, and give its other arguments defaults "
            f"(the estimator gives it nothing else): {exc}."
        ) from None
    _REGISTRY.add(name, optimizer)


def unregister_optimizer(name: str) -> None:
    """Remove an optimizer added by :func:`register_optimizer`.

    Parameters
    ----------
    name : str
        The option string it was registered under.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is a built-in optimizer or no registered optimizer.
    """
    _REGISTRY.remove(name)


def build_optimizer(
    params: Mapping[str, np.ndarray],
    settings: Mapping[str, Any],
    *,
    penalized: Collection[str] | None = None,
) -> BaseOptimizer:
    """The optimizer that the estimator's parameters ``settings`` describe.

    Parameters
    ----------
    params : dict of str to ndarray
        The parameter arrays it will update, keyed by name (its state arrays
        take their shapes).

    settings : mapping of str to object
        The estimator's parameters by name: ``solver``, a key of
        :data:`OPTIMIZERS`, and the ``hyperparameters`` that its class
        declares (``estimator.get_params()`` holds them); other keys are
        ignored.

    penalized : collection of str or None, default=None
        The parameters that an optimizer with decoupled weight decay decays:
        those the L2 penalty would penalise. None decays every parameter.
        Other optimizers ignore it.

    Returns
    -------
    optimizer : BaseOptimizer
        A new optimizer, with no steps taken.

    Raises
    ------
    ValueError
        If ``settings["solver"]`` is not a key of :data:`OPTIMIZERS`, or
        ``settings`` lack a hyperparameter of the optimizer registered under
        that name (a model's, fitted with another optimizer of that name).

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNTextClassifier
    >>> from skrnn._optimizers import build_optimizer
    >>> estimator = RNNTextClassifier(solver="sgd", learning_rate="adaptive")
    >>> params = {"head.W_hy": np.ones((2, 2))}
    >>> opt = build_optimizer(params, estimator.get_params())
    >>> opt.get_hyperparameters()  # doctest: +NORMALIZE_WHITESPACE
    {'learning_rate_init': 0.01, 'learning_rate': 'adaptive', 'power_t': 0.5,
     'momentum': 0.9, 'nesterovs_momentum': True}
    """
    solver = settings["solver"]
    if solver not in OPTIMIZERS:
        raise ValueError(
            f"solver must be one of {sorted(OPTIMIZERS)}, got {solver!r:.60}: the "
            "optimizers registered in this process (add one with "
            "skrnn.register_optimizer)."
        )
    cls = OPTIMIZERS[solver]
    if missing := [name for name in cls.hyperparameters if name not in settings]:
        raise ValueError(
            f"The optimizer registered as {solver!r:.60} reads the settings "
            f"{missing}, which the model's lack: was another optimizer registered "
            "under that name since the model was made? Register the optimizer it "
            "was made with."
        )
    kwargs = {name: settings[name] for name in cls.hyperparameters}
    if cls.decoupled_weight_decay:
        kwargs["penalized"] = penalized
    return cls(params, **kwargs)


def clip_by_value(grads: Mapping[str, np.ndarray], clip_value: float) -> None:
    r"""Clip every gradient element to ``[-clip_value, clip_value]`` in place.

    Parameters
    ----------
    grads : dict of str to ndarray
        Gradients keyed by parameter name, modified in place.

    clip_value : float
        Largest absolute value allowed, at least 0.

    See Also
    --------
    clip_by_global_norm : Rescale all gradients together instead.

    Notes
    -----
    Element-wise, :math:`g \leftarrow \min(\max(g, -c), c)`. Unlike
    clipping by norm, this changes the direction of the gradient.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn._optimizers import clip_by_value
    >>> grads = {"cell.W_hh": np.array([-3.0, 0.5, 2.0])}
    >>> clip_by_value(grads, 1.0)
    >>> grads["cell.W_hh"]
    array([-1. ,  0.5,  1. ])
    """
    if clip_value < 0:
        raise ValueError(f"clip_value must be at least 0, got {clip_value}.")
    for grad in grads.values():
        # np.clip, not np.minimum and np.maximum: these do not vectorise a
        # scalar bound, and take 3-4 times longer on a weight matrix
        values = _values(grad)
        np.clip(values, -clip_value, clip_value, out=values)


def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    r"""Return the Euclidean norm of all gradients taken together.

    Parameters
    ----------
    grads : dict of str to ndarray
        Gradients keyed by parameter name.

    Returns
    -------
    norm : float
        :math:`\sqrt{\sum_k \lVert g_k \rVert_2^2}`, accumulated in float64
        whatever the dtype of the gradients; 0.0 if there are none.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn._optimizers import global_norm
    >>> global_norm({"a": np.array([3.0]), "b": np.array([[4.0]])})
    5.0
    """
    total = 0.0
    for grad in grads.values():
        flat = np.ravel(_values(grad)).astype(np.float64, copy=False)
        total += float(flat @ flat)
    return math.sqrt(total)


def clip_by_global_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> float:
    r"""Rescale all gradients in place so their global norm is at most ``max_norm``.

    Parameters
    ----------
    grads : dict of str to ndarray
        Gradients keyed by parameter name, modified in place.

    max_norm : float
        Largest global norm allowed, greater than 0.

    Returns
    -------
    norm : float
        The global norm before clipping. If it is not finite the gradients
        are left untouched, so the caller can detect divergence.

    See Also
    --------
    global_norm : The norm that is clipped.
    clip_by_value : Clip element-wise instead.

    Notes
    -----
    With :math:`N = \sqrt{\sum_k \lVert g_k \rVert_2^2}`, every gradient is
    scaled as :math:`g_k \leftarrow g_k \, c / N` when :math:`N > c`, which
    keeps the direction of the full gradient (Pascanu et al., 2013).

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn._optimizers import clip_by_global_norm
    >>> grads = {"a": np.array([3.0]), "b": np.array([4.0])}
    >>> clip_by_global_norm(grads, 1.0)
    5.0
    >>> grads["a"], grads["b"]
    (array([0.6]), array([0.8]))
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be greater than 0, got {max_norm}.")
    norm = global_norm(grads)
    if math.isfinite(norm) and norm > max_norm:
        scale = max_norm / norm
        for grad in grads.values():
            _values(grad)[...] *= scale
    return norm


def _values(grad: np.ndarray | RowGrad) -> np.ndarray:
    """The stored entries of a gradient: the array, or a RowGrad's rows."""
    return grad.rows if isinstance(grad, RowGrad) else grad


class _FlatLayout:
    """Dense parameters' optimizer state in one flat array per buffer.

    Made from the state dicts (one per buffer: velocities, or Adam's moments)
    whose arrays it concatenates, and which it then points at views of its
    flat arrays: :meth:`BaseOptimizer.get_state` and
    :meth:`~BaseOptimizer.set_state` read and write the same memory. With
    scratch arrays of the same size for the packed gradient and the step.
    """

    def __init__(
        self,
        names: tuple[str, ...],
        shapes: list[tuple[int, ...]],
        states: list[dict[str, np.ndarray]],
        dtype: np.dtype,
    ) -> None:
        self.names = names
        self.shapes = shapes
        self.bounds = []
        start = 0
        for shape in shapes:
            self.bounds.append((start, start + math.prod(shape)))
            start += math.prod(shape)
        self.buffers = []
        for state in states:
            flat = np.concatenate(
                [state[name].astype(dtype, copy=False).ravel() for name in names]
            )
            for name, view in zip(names, self.views_of(flat), strict=True):
                state[name] = view
            self.buffers.append(flat)
        self._states = [[state[name] for name in names] for state in states]
        self.grad = np.empty(start, dtype)
        self.scratch = (np.empty(start, dtype), np.empty(start, dtype))

    def views_of(self, flat: np.ndarray) -> list[np.ndarray]:
        """``flat`` cut into one view per parameter, of its shape."""
        return [
            flat[start:stop].reshape(shape)
            for (start, stop), shape in zip(self.bounds, self.shapes, strict=True)
        ]

    def holds(self, names: tuple[str, ...], states: list[dict]) -> bool:
        """Whether these parameters' state still lives in this layout."""
        return names == self.names and all(
            state[name] is view
            for state, views in zip(states, self._states, strict=True)
            for name, view in zip(names, views, strict=True)
        )
