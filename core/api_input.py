"""Request input of the REST adapters: one input serializer, validated or the 400
envelope (``core.api_errors`` turns the ValidationError into ``{"error": {...}}``)."""


def parse_input(serializer_class, data) -> dict:
    """``data`` (``request.data`` or ``request.query_params``) through ``serializer_class``:
    its validated data, or a ValidationError naming each field."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
