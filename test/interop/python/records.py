"""ZODB object records read and written the way ZODB's serialize.py does
(ObjectReader.getGhost / setGhostState, ObjectWriter.serialize /
persistent_id), on zodbpickle, without a storage: records are given and
returned as {oid: bytes}."""
import io

from persistent import Persistent
from persistent.wref import WeakRef
from zodbpickle.pickle import Pickler, Unpickler

from pyvalues import class_name

PROTOCOL = 3


class RecordError(Exception):
    pass


class _RecordUnpickler(Unpickler):
    def __init__(self, data, reader):
        self.file = io.BytesIO(data)
        super().__init__(self.file)
        self._reader = reader

    def persistent_load(self, reference):
        return self._reader.persistent_load(reference)


class Reader:
    """Loads a set of records into Python objects, like a Connection that
    has all of them: ghosts first (class metadata), then every state."""

    def __init__(self, records):
        self.records = records
        self.objects = {}
        self.oids = {}
        # oid -> the forms of the persistent references in its record
        self.references = {}
        self._current = None

    def _oid(self, oid):
        if not isinstance(oid, bytes) or len(oid) != 8:
            raise RecordError('bad oid %r' % (oid,))
        return self.oids.setdefault(oid, oid)

    def _register(self, oid, obj):
        oid = self._oid(oid)
        self.objects[oid] = obj
        obj._p_oid = oid
        return obj

    def ghost(self, oid):
        """getGhost: the class pickle alone gives the class and newargs."""
        oid = self._oid(oid)
        if oid in self.objects:
            return self.objects[oid]
        if oid not in self.records:
            raise RecordError('reference to missing oid %s' % oid.hex())
        meta = _RecordUnpickler(self.records[oid], self).load()
        if isinstance(meta, tuple):
            klass, args = meta
            args = args or ()
        else:
            klass, args = meta, ()
        return self._register(oid, klass.__new__(klass, *args))

    def _note(self, form, oid):
        if self._current is not None:
            self.references.setdefault(self._current.hex(), []).append([form, oid.hex()])

    def persistent_load(self, reference):
        if isinstance(reference, tuple):
            oid, klass = reference
            obj = self.ghost(oid)
            if type(obj) is not klass:
                raise RecordError('reference to %s says %s, its record says %s' % (oid.hex(), class_name(klass), class_name(type(obj))))
            self._note('oid+class', oid)
            return obj
        if isinstance(reference, bytes):
            self._note('oid', reference)
            return self.ghost(reference)
        if isinstance(reference, list) and len(reference) == 2 and reference[0] == 'w' and len(reference[1]) == 1:
            ref = WeakRef.__new__(WeakRef)
            ref.oid = self._oid(reference[1][0])
            self._note('weak', ref.oid)
            return ref
        raise RecordError('unexpected persistent reference %r' % (reference,))

    def load_all(self):
        for oid in self.records:
            self.ghost(oid)
        for oid, data in self.records.items():
            self._current = oid
            unpickler = _RecordUnpickler(data, self)
            unpickler.load()
            state = unpickler.load()
            if unpickler.file.tell() != len(data):
                raise RecordError('%s: %d bytes after the state pickle' % (oid.hex(), len(data) - unpickler.file.tell()))
            self.objects[oid].__setstate__(state)
        self._current = None
        return self.objects


def oid_bytes(n):
    return n.to_bytes(8, 'big')


class Writer:
    """Stores a graph of new objects as ZODB's Connection.commit does:
    the root gets oid 0, objects met by persistent_id get the next oids and
    are written in turn; the same pickler (and memo reset) for each."""

    def __init__(self, next_oid=1):
        self.next_oid = next_oid
        self.records = {}
        self._stack = []
        self._file = io.BytesIO()
        writer = self

        class _Pickler(Pickler):
            def persistent_id(self, obj):
                return writer.persistent_id(obj)

        self._pickler = _Pickler(self._file, PROTOCOL)

    def persistent_id(self, obj):
        if isinstance(obj, WeakRef):
            if obj.oid is None:
                target = obj()
                if target._p_oid is None:
                    self._assign(target)
                obj.oid = target._p_oid
            return ['w', (obj.oid,)]
        if not isinstance(obj, Persistent):
            return None
        if obj._p_oid is None:
            self._assign(obj)
        klass = type(obj)
        if hasattr(klass, '__getnewargs__'):
            return obj._p_oid
        return obj._p_oid, klass

    def _assign(self, obj):
        obj._p_oid = oid_bytes(self.next_oid)
        self.next_oid += 1
        self._stack.append(obj)

    def serialize(self, obj):
        klass = type(obj)
        newargs = getattr(obj, '__getnewargs__', None)
        meta = klass if newargs is None else (klass, newargs())
        self._file.seek(0)
        self._pickler.clear_memo()
        self._pickler.dump(meta)
        self._pickler.dump(obj.__getstate__())
        self._file.truncate()
        return self._file.getvalue()

    def store(self, obj, oid=None):
        """Writes `obj` (with `oid`, or its own) and every new object it reaches."""
        if oid is not None:
            obj._p_oid = oid
        elif obj._p_oid is None:
            self._assign(obj)
            self._stack.pop()
        self._stack.append(obj)
        while self._stack:
            current = self._stack.pop()
            self.records[current._p_oid] = self.serialize(current)
        return self.records
