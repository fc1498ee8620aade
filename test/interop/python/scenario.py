"""The object graph Python writes for the TypeScript object layer to load
(test/interop/records-from-python.test.ts checks the same facts)."""
import datetime
import decimal

from BTrees.IOBTree import IOBTree
from BTrees.Length import Length
from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping
from persistent.wref import WeakRef

from interop_app import Keyed, Note


def build():
    root = PersistentMapping()

    note = Note()
    note.title = 'Hello from Python'
    note.tags = ['a', 'b', 'a']
    note.created = datetime.datetime(2024, 1, 2, 3, 4, 5, 678901)
    note.created_utc = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    note.day = datetime.date(2024, 2, 29)
    note.price = decimal.Decimal('9.99')
    note.numbers = {1, 2, 3}
    note.frozen = frozenset(['x'])
    note.big = 2 ** 70
    note.negative_big = -(2 ** 64) - 1
    note.ratio = 0.25
    note.whole = 3.0
    note.blob = b'\x00\x01\xfe\xff'
    note.pair = (1, 'two')
    note.nested = {'k': [1, {'deep': None}], 'flag': True, 'off': False}
    note.by_int = {1: 'one', 2: 'two'}
    note.text = 'caf\xe9 \u2603 \U0001f600'

    mapping = PersistentMapping()
    mapping['a'] = 1
    mapping[2] = 'two'
    mapping[(1, 2)] = b'x'
    mapping['7'] = 'an index-like key'

    items = PersistentList([1, 'two', b'three', 4.5, None, note])

    keyed = Keyed('k1')
    small_tree = OOBTree({'a': 1, 'b': 'x', 'c': [1, 2]})
    big_tree = OOBTree({'k%03d' % i: i for i in range(70)})
    tree_set = OOTreeSet(['x', 'y', 'z'])
    int_tree = IOBTree({1: 'one', 2: 'two', 300: 'three hundred'})

    note.tree = small_tree
    note.keyed = keyed
    note.items_ref = WeakRef(items)

    root['note'] = note
    root['mapping'] = mapping
    root['items'] = items
    root['keyed'] = keyed
    root['small_tree'] = small_tree
    root['big_tree'] = big_tree
    root['tree_set'] = tree_set
    root['int_tree'] = int_tree
    root['length'] = Length(5)

    # Equal values that are distinct objects in Python, so its pickler writes
    # each in full, where the TypeScript encoder (strings memoized by value)
    # writes a BINGET: loads equal, but not byte-identical when written back.
    duplicates = Note()
    duplicates.copies = [''.join(['ab', 'cd']), ''.join(['ab', 'cd'])]
    duplicates.prices = [decimal.Decimal('1.50'), decimal.Decimal('1.50')]
    root['duplicates'] = duplicates
    return root
