"""The Python end of the interop tests: reads one JSON request per line on
stdin, answers one JSON line on stdout ({"ok": result} or {"error": text}).
Requests: {"op": name, "args": {...}}; see OPS at the end."""
import json
import pickle
import sys
import traceback

import zodbpickle.pickle as zpickle
from BTrees.Length import Length
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

import scenario
from pyvalues import class_name, from_pj, to_pj
from records import Reader, Writer


def op_hello(args):
    import importlib

    import BTrees
    import persistent
    import zodbpickle
    for name in args.get('require', []):
        importlib.import_module(name)
    versions = {}
    for name, module in (('persistent', persistent), ('zodbpickle', zodbpickle), ('BTrees', BTrees)):
        versions[name] = getattr(module, '__version__', module.__file__)
    return {'python': sys.version.split()[0], 'modules': versions}


def op_pickle_dump(args):
    """Python's pickles of each value: stdlib pickle and zodbpickle, protocols 2 and 3."""
    out = []
    for pj in args['values']:
        value = from_pj(pj)
        out.append({
            'value': to_pj(value),
            'std2': pickle.dumps(value, 2).hex(),
            'std3': pickle.dumps(value, 3).hex(),
            'zodb2': zpickle.dumps(value, 2).hex(),
            'zodb3': zpickle.dumps(value, 3).hex(),
        })
    return out


def op_pickle_load(args):
    """Loads each hex pickle with stdlib pickle and with zodbpickle."""
    out = []
    for data_hex in args['pickles']:
        data = bytes.fromhex(data_hex)
        out.append({'std': to_pj(pickle.loads(data)), 'zodb': to_pj(zpickle.loads(data))})
    return out


def op_pickle_shared(args):
    """zodbpickle protocol 3 pickles of values that share or contain themselves."""
    cases = {}
    loop = []
    loop.append(loop)
    cases['list_in_itself'] = loop
    mine = {}
    mine['self'] = mine
    cases['dict_in_itself'] = mine
    shared = [1, 2]
    cases['shared_list'] = [shared, shared, (shared,)]
    inner = []
    cycle = (inner,)
    inner.append(cycle)
    cases['tuple_list_cycle'] = [cycle, cycle]
    return {name: zpickle.dumps(value, 3).hex() for name, value in cases.items()}


def api_view(obj):
    """What the object's own Python API shows (not just its raw state)."""
    if isinstance(obj, PersistentMapping):
        return to_pj(dict(obj.items()), _oid_of)
    if isinstance(obj, PersistentList):
        return to_pj(list(obj), _oid_of)
    if isinstance(obj, Length):
        return to_pj(obj())
    if class_name(type(obj)).startswith('BTrees.') and hasattr(obj, 'items'):
        return {'items': to_pj([list(item) for item in obj.items()], _oid_of)}
    if class_name(type(obj)).startswith('BTrees.') and hasattr(obj, 'keys'):
        return {'keys': to_pj(list(obj.keys()), _oid_of)}
    return None


def _oid_of(obj):
    return obj._p_oid


def describe(reader, records):
    out = {}
    writer = Writer()
    for oid, obj in reader.objects.items():
        meta = 'newargs' if hasattr(type(obj), '__getnewargs__') else 'class'
        out[oid.hex()] = {
            'class': class_name(type(obj)),
            'meta': meta,
            'state': to_pj(obj.__getstate__(), _oid_of),
            'api': api_view(obj),
            # What Python's ObjectWriter writes for the object as loaded.
            'redump': writer.serialize(obj).hex(),
        }
    return out


def op_read_records(args):
    records = {bytes.fromhex(oid): bytes.fromhex(data) for oid, data in args['records'].items()}
    reader = Reader(records)
    reader.load_all()
    return {'objects': describe(reader, records), 'references': reader.references}


def op_write_scenario(args):
    root = scenario.build()
    records = Writer().store(root, oid=bytes(8))
    reader = Reader(records)
    reader.load_all()
    return {
        'records': {oid.hex(): data.hex() for oid, data in records.items()},
        'objects': describe(reader, records),
        'references': reader.references,
    }


def _zookeeper_op(name):
    def run(args):
        import zkpeer  # kazoo is needed only by the ZooKeeper tests
        return zkpeer.OPS[name](args)
    return run


OPS = {
    'hello': op_hello,
    'pickle_dump': op_pickle_dump,
    'pickle_load': op_pickle_load,
    'pickle_shared': op_pickle_shared,
    'read_records': op_read_records,
    'write_scenario': op_write_scenario,
    'zk_read': _zookeeper_op('zk_read'),
    'zk_register': _zookeeper_op('zk_register'),
    'zk_close': _zookeeper_op('zk_close'),
}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            reply = {'ok': OPS[request['op']](request.get('args') or {})}
        except Exception:
            reply = {'error': traceback.format_exc()}
        sys.stdout.write(json.dumps(reply) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
