"""core.api_input: one input serializer, validated data or a ValidationError."""

import pytest
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.api_input import parse_input


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=10)


def test_valid_input_comes_back_as_its_validated_data():
    assert parse_input(ReasonIn, {"reason": "on leave"}) == {"reason": "on leave"}


def test_invalid_input_raises_a_validation_error_naming_the_field():
    with pytest.raises(ValidationError) as raised:
        parse_input(ReasonIn, {"reason": "x" * 11})
    assert "reason" in raised.value.detail
