"""The ZooKeeper side of the interop tests, on kazoo (what zc.zk 2.x uses):
register a server the way zc.zk does, and read what the TypeScript
registry registered."""
import json
import os

from kazoo.client import KazooClient
from kazoo.security import READ_ACL_UNSAFE

_clients = {}


def _client(hosts):
    client = _clients.get(hosts)
    if client is None:
        client = KazooClient(hosts=hosts, timeout=10)
        client.start(timeout=10)
        _clients[hosts] = client
    return client


def op_zk_read(args):
    """The children of a service path with their data, ACL and ephemeral flag."""
    client = _client(args['hosts'])
    path = args['path']
    out = {}
    for name in sorted(client.get_children(path)):
        data, stat = client.get(path + '/' + name)
        acls, _ = client.get_acls(path + '/' + name)
        properties = json.loads(data.decode('utf-8'))
        out[name] = {
            'properties': properties,
            'data': data.decode('utf-8'),
            # What zc.zk (Python 3) writes for these properties.
            'zc_zk_data': json.dumps(properties, separators=(',', ':')),
            'ephemeral': stat.ephemeralOwner != 0,
            'acl': [[acl.perms, acl.id.scheme, acl.id.id] for acl in acls],
        }
    return out


def op_zk_register(args):
    """zc.zk's register(): an ephemeral, world-readable node whose data is
    the properties (plus pid) as compact JSON."""
    client = _client(args['hosts'])
    properties = dict(args['properties'])
    properties['pid'] = os.getpid()
    data = json.dumps(properties, separators=(',', ':')).encode('utf-8')
    client.create(args['path'] + '/' + args['name'], data, acl=READ_ACL_UNSAFE, ephemeral=True)
    return {'pid': os.getpid(), 'data': data.decode('utf-8')}


def op_zk_close(args):
    """Ends the session: its ephemeral nodes go away."""
    client = _clients.pop(args['hosts'], None)
    if client is not None:
        client.stop()
        client.close()
    return True


OPS = {'zk_read': op_zk_read, 'zk_register': op_zk_register, 'zk_close': op_zk_close}
