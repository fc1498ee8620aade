"""The application classes the interop tests share with TypeScript
(registered there as 'interop_app.Note' and 'interop_app.Keyed')."""
from persistent import Persistent


class Note(Persistent):
    """An ordinary persistent class: its state is its __dict__."""


class Keyed(Persistent):
    """A class with __getnewargs__: its records carry (class, newargs) and
    references to it are bare oids."""

    def __new__(cls, key=None):
        self = super().__new__(cls)
        self.key = key
        return self

    def __getnewargs__(self):
        return (self.key,)
