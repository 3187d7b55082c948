"""State machines: one explicit map of allowed moves per model with a state.

Each model with a ``state`` declares its map next to its services::

    REQUEST_MOVES = StateMachine(
        MentoringRequest.State,
        {
            MentoringRequest.State.OPEN: {MentoringRequest.State.INVITING, MentoringRequest.State.CANCELLED},
            ...
        },
        noun="request",
    )

and every service that changes a state calls ``REQUEST_MOVES.move(obj, to_state)`` on a row
it has locked (``select_for_update``) in its own transaction. ``move`` checks the map,
sets the field and returns the state it left; a move the map does not allow is a
``Conflict`` that names the allowed moves. The caller saves (with its other fields)
and writes its audit row, so a move costs no extra query.
"""

from collections.abc import Iterable, Mapping

from core.errors import Conflict


class StateMachine:
    def __init__(self, states, moves: Mapping[str, Iterable[str]], *, noun: str, field: str = "state"):
        self.states = states
        self.moves = {
            str(source): frozenset(str(target) for target in targets) for source, targets in moves.items()
        }
        missing = set(states.values) - self.moves.keys()
        if missing:
            raise ValueError(f"{noun}: no moves declared from {sorted(missing)}")
        unknown = {t for targets in self.moves.values() for t in targets} - set(states.values)
        if unknown:
            raise ValueError(f"{noun}: moves to unknown states {sorted(unknown)}")
        self.noun = noun
        self.field = field

    def allowed(self, from_state: str) -> frozenset[str]:
        return self.moves[str(from_state)]

    def can_move(self, from_state: str, to_state: str) -> bool:
        return str(to_state) in self.allowed(from_state)

    def _label(self, state: str) -> str:
        return str(self.states(state).label).lower()

    def check(self, from_state: str, to_state: str) -> None:
        """``Conflict`` unless ``from_state → to_state`` is in the map."""
        if self.can_move(from_state, to_state):
            return
        allowed = ", ".join(sorted(self.allowed(from_state))) or "nothing (it is final)"
        article = "An" if self.noun[:1].lower() in "aeiou" else "A"
        raise Conflict(
            f"{article} {self.noun} that is {self._label(from_state)} cannot become {self._label(to_state)}.",
            fields={self.field: [f"Allowed from {from_state}: {allowed}."]},
        )

    def move(self, obj, to_state: str) -> str:
        """Check and set ``obj.<field>``; returns the state it left. The caller holds the
        row's lock and saves it."""
        from_state = getattr(obj, self.field)
        self.check(from_state, to_state)
        setattr(obj, self.field, to_state)
        return from_state
