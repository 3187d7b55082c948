"""core.transitions.StateMachine: one explicit map of allowed moves per model with a state."""

from types import SimpleNamespace

import pytest
from django.db import models

from core.errors import Conflict
from core.transitions import StateMachine


class Door(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    LOCKED = "locked", "Locked"
    REMOVED = "removed", "Removed"


MOVES = {
    Door.OPEN: {Door.CLOSED, Door.REMOVED},
    Door.CLOSED: {Door.OPEN, Door.LOCKED},
    Door.LOCKED: {Door.CLOSED},
    Door.REMOVED: set(),
}


@pytest.fixture
def door_moves() -> StateMachine:
    return StateMachine(Door, MOVES, noun="door")


def test_allowed_lists_the_moves_from_a_state(door_moves):
    assert door_moves.allowed(Door.CLOSED) == {"open", "locked"}
    assert door_moves.allowed(Door.REMOVED) == frozenset()


def test_can_move_answers_from_the_map(door_moves):
    assert door_moves.can_move(Door.OPEN, Door.CLOSED)
    assert not door_moves.can_move(Door.OPEN, Door.LOCKED)
    assert not door_moves.can_move(Door.LOCKED, Door.LOCKED)


def test_move_sets_the_field_and_returns_the_state_it_left(door_moves):
    door = SimpleNamespace(state=Door.CLOSED)

    left = door_moves.move(door, Door.LOCKED)

    assert left == Door.CLOSED
    assert door.state == Door.LOCKED


def test_a_forbidden_move_is_a_conflict_naming_both_states_and_the_allowed_moves(door_moves):
    door = SimpleNamespace(state=Door.OPEN)

    with pytest.raises(Conflict) as excinfo:
        door_moves.move(door, Door.LOCKED)

    assert excinfo.value.message == "A door that is open cannot become locked."
    assert excinfo.value.fields == {"state": ["Allowed from open: closed, removed."]}
    assert door.state == Door.OPEN  # unchanged


def test_no_move_leaves_a_final_state(door_moves):
    with pytest.raises(Conflict) as excinfo:
        door_moves.check(Door.REMOVED, Door.OPEN)

    assert excinfo.value.fields == {"state": ["Allowed from removed: nothing (it is final)."]}


def test_a_machine_can_drive_a_field_with_another_name():
    machine = StateMachine(Door, MOVES, noun="door", field="status")
    door = SimpleNamespace(status=Door.OPEN)

    machine.move(door, Door.CLOSED)

    assert door.status == Door.CLOSED
    with pytest.raises(Conflict) as excinfo:
        machine.move(door, Door.REMOVED)
    assert "status" in excinfo.value.fields


def test_a_map_must_declare_moves_from_every_state():
    incomplete = {Door.OPEN: {Door.CLOSED}, Door.CLOSED: {Door.OPEN}}

    with pytest.raises(ValueError, match=r"door: no moves declared from \['locked', 'removed'\]"):
        StateMachine(Door, incomplete, noun="door")


def test_a_map_cannot_move_to_a_state_that_does_not_exist():
    with pytest.raises(ValueError, match=r"moves to unknown states \['ajar'\]"):
        StateMachine(Door, {**MOVES, Door.OPEN: {Door.CLOSED, "ajar"}}, noun="door")
