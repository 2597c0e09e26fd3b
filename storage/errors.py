"""Storage errors: each message is one plain sentence for a person, never card data or keys."""

from edge_app.domain.messages import Msg


class StorageError(Exception):
    """The database or key store cannot be used; nothing was changed on disk.

    Given a `Msg` (edge_app/domain/messages.py), `str()` is its English and `msg` keeps it for
    the window to translate.
    """

    def __init__(self, message: object = "") -> None:
        self.msg: Msg | None = message if isinstance(message, Msg) else None
        super().__init__(str(message))


class KeyUnavailable(StorageError):
    """The database key cannot be obtained (no backend, wrong passphrase, missing key)."""


class DatabaseKeyError(StorageError):
    """The key does not open this database."""


class DatabaseDamagedError(StorageError):
    """The database file is damaged or is not an Edge Uploader database."""


class DatabaseMissingError(StorageError):
    """There is no database yet: the installation was not initialised."""


class DatabaseTooNewError(StorageError):
    """The database was written by a newer version of the program."""


class DiskFullError(StorageError):
    """The disk is full; the write was rolled back."""


class DatabaseBusyError(StorageError):
    """Another program held the database's write lock for longer than the busy timeout."""


class StorageBug(Exception):
    """The database refused a statement as wrong: a bug in this program, not the environment.

    Not a `StorageError`, so it is never reported as bad input: the command line exits 1.
    """
