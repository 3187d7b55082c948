"""Input fields that refuse what DRF's would coerce or drop: a JSON boolean or
integer is taken at face value only ("yes", 1, 30.0 or "30" are a 400 naming the
field, not a silent true or 30), and an optional text field sent blank in a form
body is a 400, not silently left out."""

from rest_framework import serializers
from rest_framework.utils import html


class NonBlankCharField(serializers.CharField):
    """Optional, but never blank. DRF skips an optional non-blank field that a
    form-encoded body sends as "" (the request then "succeeds" without it); this
    one validates the "" and answers "This field may not be blank." """

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Send true or false."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid")


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Send a whole number, e.g. 30 (not 30.0 or true)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class RejectUnknownFieldsMixin:
    """A serializer that names fields it does not know instead of ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field; see the schema for the fields this takes."] for name in unknown}
                )
        return super().to_internal_value(data)
