"""The one error the data loaders raise, with a message meant for the user."""


class DataError(RuntimeError):
    """A data folder that is missing, incomplete or unreadable."""
