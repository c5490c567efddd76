"""The one exception the EDP codec raises."""


class EdpError(ValueError):
    """Malformed EDP input, or a value that cannot be encoded.

    After a Decoder raises it, the byte stream is out of step: close the connection.
    """
