"""Tagged JSON <-> Python values, the exchange format of the interop tests.

The TypeScript side (test/interop/tagged-json.ts) speaks the same format:

    null / true / false / "text"      None / bool / str
    {"int": "123"}                    int (decimal text, any size)
    {"float": "1.5"}                  float (repr text; "nan", "inf", "-inf")
    {"bytes": "00ff"}                 bytes (hex)
    [ ... ]                           list
    {"tuple": [ ... ]}                tuple
    {"dict": [[k, v], ...]}           dict, items in order
    {"set": [ ... ]}, {"frozenset": [ ... ]}
    {"datetime": [y, mo, d, h, mi, s, us], "tz": null | offset seconds}
    {"date": [y, mo, d]}
    {"decimal": "1.10"}
    {"ref": "oid hex", "class": "module.Name"}     persistent reference
    {"weakref": "oid hex"}                          persistent weak reference
"""
import datetime
import decimal
import sys

from persistent import Persistent
from persistent.wref import WeakRef

UTC = datetime.timezone.utc


def class_name(cls):
    return '%s.%s' % (cls.__module__, cls.__name__)


def from_pj(pj, intern=True, refs=None):
    """Builds the Python value; equal strings become one object when
    `intern` (ZODB's strings are usually interned, and the TypeScript
    encoder memoizes strings by value)."""
    def conv(v):
        return from_pj(v, intern, refs)
    if pj is None or isinstance(pj, bool):
        return pj
    if isinstance(pj, str):
        return sys.intern(pj) if intern else pj
    if isinstance(pj, list):
        return [conv(v) for v in pj]
    if not isinstance(pj, dict):
        raise ValueError('bad tagged value %r' % (pj,))
    if 'int' in pj:
        return int(pj['int'])
    if 'float' in pj:
        return float(pj['float'])
    if 'bytes' in pj:
        return bytes.fromhex(pj['bytes'])
    if 'tuple' in pj:
        return tuple(conv(v) for v in pj['tuple'])
    if 'dict' in pj:
        return {conv(k): conv(v) for k, v in pj['dict']}
    if 'set' in pj:
        return {conv(v) for v in pj['set']}
    if 'frozenset' in pj:
        return frozenset(conv(v) for v in pj['frozenset'])
    if 'datetime' in pj:
        tz = pj.get('tz')
        tzinfo = None if tz is None else datetime.timezone(datetime.timedelta(seconds=tz))
        return datetime.datetime(*pj['datetime'], tzinfo=tzinfo)
    if 'date' in pj:
        return datetime.date(*pj['date'])
    if 'decimal' in pj:
        return decimal.Decimal(pj['decimal'])
    if 'ref' in pj and refs is not None:
        return refs(pj['ref'])
    raise ValueError('bad tagged value %r' % (pj,))


def to_pj(value, oid_of=None):
    """Describes a Python value, strictly by type (a tuple is not a list,
    1.0 is not 1, a frozenset is not a set)."""
    def conv(v):
        return to_pj(v, oid_of)
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return {'int': str(value)}
    if t is float:
        return {'float': repr(value)}
    if t is bytes:
        return {'bytes': value.hex()}
    if t is list:
        return [conv(v) for v in value]
    if t is tuple:
        return {'tuple': [conv(v) for v in value]}
    if t is dict:
        return {'dict': [[conv(k), conv(v)] for k, v in value.items()]}
    if t is set:
        return {'set': [conv(v) for v in value]}
    if t is frozenset:
        return {'frozenset': [conv(v) for v in value]}
    if t is datetime.datetime:
        fields = [value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond]
        if value.tzinfo is not None and type(value.tzinfo) is not datetime.timezone:
            raise ValueError('unexpected tzinfo %r' % (value.tzinfo,))
        offset = value.utcoffset()
        return {'datetime': fields, 'tz': None if offset is None else int(offset.total_seconds())}
    if t is datetime.date:
        return {'date': [value.year, value.month, value.day]}
    if t is decimal.Decimal:
        return {'decimal': str(value)}
    if isinstance(value, WeakRef):
        return {'weakref': value.oid.hex()}
    if isinstance(value, Persistent) and oid_of is not None:
        return {'ref': oid_of(value).hex(), 'class': class_name(type(value))}
    raise ValueError('cannot describe %s %r' % (class_name(t), value))
