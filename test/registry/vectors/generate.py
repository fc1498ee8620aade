# Regenerates the zc.zk test vectors in this folder by running zc.zk's own
# code (parse_tree, import_tree, export_tree, encode/decode) under CPython 2.7
# against an in-memory stand-in for ZooKeeper.
#
#   python2.7 generate.py /path/to/zc.zk/src/zc/zk/__init__.py
#
# zc.zk is zopefoundation/zc.zk 2.1.0 (ZPL 2.1). Its imports of kazoo and
# zc.thread are replaced by the small stubs below; nothing else is changed.
import imp, json, os, random, sys, types

HERE = os.path.dirname(os.path.abspath(__file__))

def stub(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m

class NoNodeError(Exception): pass
class NodeExistsError(Exception): pass
class KazooState: CONNECTED = 'CONNECTED'; LOST = 'LOST'
stub('kazoo',
     client=stub('kazoo.client', KazooClient=object),
     exceptions=stub('kazoo.exceptions', NoNodeError=NoNodeError, NodeExistsError=NodeExistsError),
     security=stub('kazoo.security', OPEN_ACL_UNSAFE=['open'], READ_ACL_UNSAFE=['read']),
     protocol=stub('kazoo.protocol', states=stub('kazoo.protocol.states', KazooState=KazooState)))
def thread(f):
    f()
    return f
stub('zc'); stub('zc.thread', Thread=thread)
stub('zc.zk.event', notify=lambda event: None)
sys.modules['zc'].thread = sys.modules['zc.thread']
zk_module = imp.load_source('zc.zk', sys.argv[1])
sys.modules['zc'].zk = zk_module
zk_module.event = sys.modules['zc.zk.event']
os.getpid = lambda: 9999

class Stat(object):
    def __init__(self, node):
        self.ephemeralOwner = 1 if node['ephemeral'] else 0
        self.aversion = 0

class FakeClient(object):
    state = 'CONNECTED'
    def __init__(self):
        self.root = dict(data='', ephemeral=False, acl=None, children={})
    def add_listener(self, f): pass
    def _node(self, path):
        n = self.root
        for name in path.split('/')[1:]:
            if name:
                try:
                    n = n['children'][name]
                except KeyError:
                    raise NoNodeError(path)
        return n
    def exists(self, path):
        try:
            return Stat(self._node(path))
        except NoNodeError:
            return None
    def create(self, path, value='', acl=None, ephemeral=False):
        base, name = path.rsplit('/', 1)
        parent = self._node(base)
        if name in parent['children']:
            raise NodeExistsError(path)
        assert isinstance(value, str), value
        parent['children'][name] = dict(data=value, ephemeral=ephemeral, acl=acl, children={})
        return path
    def delete(self, path):
        base, name = path.rsplit('/', 1)
        del self._node(base)['children'][name]
    def get_children(self, path):
        return [unicode(k) for k in self._node(path)['children']]
    def get(self, path):
        n = self._node(path)
        return n['data'], Stat(n)
    def set(self, path, value):
        assert isinstance(value, str), value
        self._node(path)['data'] = value
    def get_acls(self, path):
        n = self._node(path)
        return n['acl'], Stat(n)
    def set_acls(self, path, aversion, acl):
        self._node(path)['acl'] = acl
    def dump(self):
        out = []
        def walk(path, node):
            for name in sorted(node['children']):
                child = node['children'][name]
                cpath = path + '/' + name
                out.append(dict(path=cpath, data=child['data'].encode('hex'),
                                ephemeral=child['ephemeral']))
                walk(cpath, child)
        walk('', self.root)
        return out

def new_zk(setup=True):
    client = FakeClient()
    zk = zk_module.ZooKeeper(client)
    if setup:
        zk.import_tree("""
    /fooservice
      /providers
      database = '/databases/foomain'
      threads = 1
      favorite_color = 'red'
    """)
        zk.import_tree("""
        /zookeeper
          /quota
        """)
    return zk

def capture(f):
    import StringIO
    old = sys.stdout
    sys.stdout = out = StringIO.StringIO()
    try:
        f()
    finally:
        sys.stdout = old
    return out.getvalue()

# ---------------------------------------------------------------- tree cases
exports = []   # {name, export, ephemeral, path, exportName, nodes}
imports = []   # {name, text, export, nodes}
errors = []    # {name, text, message}

def record_export(name, zk, path='/', ephemeral=False, export_name=None):
    exports.append(dict(name=name, path=path, ephemeral=ephemeral, exportName=export_name,
                        export=zk.export_tree(path, ephemeral=ephemeral, name=export_name),
                        nodes=zk.client.dump()))

def record_import(name, text):
    zk = new_zk(setup=False)
    zk.import_tree(text)
    imports.append(dict(name=name, text=text, export=zk.export_tree('/', ephemeral=True),
                        nodes=zk.client.dump()))

def record_error(name, text):
    try:
        zk_module.parse_tree(text)
        zk = new_zk(setup=False)
        zk.import_tree(text)
    except Exception as e:
        errors.append(dict(name=name, text=text, message='%s: %s' % (type(e).__name__, e)))
    else:
        raise AssertionError('no error for %r' % name)

README_TREE_1 = open(os.path.join(HERE, 'readme-tree-1.txt')).read()
README_TREE_2 = open(os.path.join(HERE, 'readme-tree-2.txt')).read()

# The README's walk-through, step by step.
zk = new_zk()
for port in (8080, 8081, 8082):
    zk.register('/fooservice/providers', ('192.168.0.42', port))
zk.properties('/fooservice', watch=False).set(threads=3, secret='1234')
zk.import_tree(README_TREE_1)
record_export('readme: after first import', zk)
record_export('readme: export /fooservice', zk, '/fooservice')
record_export('readme: export /fooservice ephemeral', zk, '/fooservice', True)
capture(lambda: zk.import_tree(README_TREE_2))
record_export('readme: after re-import without trim', zk)
zk.import_tree(README_TREE_2, trim=True)
record_export('readme: after trim', zk)
zk.delete_recursive('/retail')
record_export('readme: after delete_recursive /retail', zk)
record_export('readme: export with name', zk, '/cms/databases/main', False, 'cms')
zk.client.create('/databases')
zk.import_tree(zk.export_tree('/cms/databases/main', name='cms'), '/databases')
zk.ln('/databases/cms', '/cms/databases/main')
capture(lambda: zk.delete_recursive('/cms/databases/main'))
zk.properties('/databases/cms', watch=False).set(a=1)
zk.register('/cms/providers', '1.2.3.4:5')
record_export('readme: export script', zk)
record_export('readme: print_tree', zk, '/', True)
zk.set('/fooservice', '{"comment":"ok","debug":true,"secret":"1234","threads":4}')
record_export('readme: set_property script', zk, '/fooservice', True)
record_export('tests: export / with name', new_zk(), '/', False, 'top')

zk = new_zk()
zk.import_tree("""
/app
  threads => ..
  color = 'red'
  database -> /databases/foo
""", '/fooservice')
record_export('tests: property_links_edge_cases', zk, '/', True)

# Node data zc.zk did not write itself.
zk = new_zk(setup=False)
for name, data in [
        ('empty', ''), ('whitespace', ' \n'), ('raw', 'xxx'), ('raw-braces', '{xxx}'),
        ('raw-newlines', '\n{xxx}\n'), ('raw-quote', "it's"), ('raw-latin1', '\xff\xfe'),
        ('raw-utf8', 'caf\xc3\xa9'), ('json-array', '[1,2]'), ('json-number', '3'),
        ('floats', '{"a":1.0,"b":1e16,"c":1e-5,"d":0.1,"e":-0.0,"f":1.5e300,"g":NaN,"h":-Infinity,"i":123456789.125}'),
        ('ints', '{"a":9223372036854775807,"b":9223372036854775808,"c":-9223372036854775809,"d":12345678901234567890123}'),
        ('strings', '{"a":"caf\\u00e9","b":"\\u20ac","c":"\\ud83d\\ude00","d":"it\'s","e":"say \\"hi\\" it\'s","f":"tab\\tnl\\ncr\\r\\u0001\\u007f","g":"back\\\\slash","h":"\\ud800"}'),
        ('containers', '{"a":[],"b":{},"c":[1,[2,[3]],{"x":null}],"d":{"k":true,"l":false,"m":null}}'),
        ('dict-order', '{"z":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"ab":11,"zz":12}}'),
        ('type-empty', '{"type":"","a":1}'), ('type-zero', '{"type":0}'), ('type-words', '{"type":"z4m  cms"}'),
        ('links', '{"a ->":"/x","b =>":"/y z","c ->":"rel/../p","c":1,"b":2}'),
        ('link-nonstring', '{"x ->":5,"y ->":1.5,"z ->":[1,"a"]}'),
        ('sorting', '{"b":1,"B":2,"a b":3,"\\u00e9":4,"\\ud83d\\ude00":5,"\\uffff":6,"_":7}'),
        ('string-value-json', '{"string_value":"x","other":1}'),
        ('bad-json', '{"a":1,}'),
        ('duplicate-keys', '{"a":1,"a":2}'),
        ]:
    zk.client.create('/' + name, data)
zk.client.create('/raw-utf8/child', '{"a":[1.0]}')
record_export('data: odd node data', zk)

# Dicts with many keys, to pin CPython 2.7's dict order.
zk = new_zk(setup=False)
rnd = random.Random(42)
for i in range(30):
    n = rnd.randint(1, 40)
    keys = ['%s%d' % (rnd.choice(['k', 'key', 'x', 'name_', u'\u00e9'.encode('utf8')]), rnd.randint(0, 999)) for _ in range(n)]
    obj = '{' + ','.join('"%s":%d' % (k, j) for j, k in enumerate(keys)) + '}'
    zk.client.create('/d%02d' % i, '{"v":%s}' % obj)
record_export('data: dict orders', zk)

# Import texts: what parse_tree + import_tree store, and the export of it.
IMPORTS = [
    ('readme: tree 1', README_TREE_1),
    ('readme: tree 2', README_TREE_2),
    ('readme: relative links', open(os.path.join(HERE, 'readme-relative-links.txt')).read()),
    ('readme: property links', open(os.path.join(HERE, 'readme-property-links.txt')).read()),
    ('readme: import script file', '/provision\n  /node1\n  /node2\n'),
    ('readme: stdin', '/x\n/y'),
    ('tests: setup tree', """
    /fooservice
      /providers
      database = '/databases/foomain'
      threads = 1
      favorite_color = 'red'
    """),
    ('tests: resilient_import', '\n/test\n  a=1\n  b      =1\n  c=      1\n  ad->/x\n  af          ->/x\n  ae->         /x\n'),
    ('tests: import_dry_run', '\n/test\n  a=1\n  b = 2\n  /c1\n    /c12\n  /c2\n  ae->         /x\n  ad->         /y\n'),
    ('tests: test_resolve', """
/top
 /a
   top -> /top
   loop -> /top/a/b/loop
   /b
     top -> /top
     loop -> /top/a/loop
     /c
       top -> /top
       /d
         name = 'd'
         /e
         top -> /top
         loop -> /top/a/b/c/d/loop

"""),
    ('tests: relative_property_links', """

/a
  /b
    x => c x
    xx => ./c x
    x2 => .. x
    x3 => ../c x
    x22 => ./.. x
    x33 => ./../c x
    x333 => .././c x
    /c
      x=1
  /c
    x = 3
  x = 2

"""),
    ('tests: property_link_loops', '\n/a\n  x => ../b x\n/b\n  x => ../a x\n'),
    ('tests: property_links_edge_cases', "\n/app\n  threads => ..\n  color = 'red'\n  database -> /databases/foo\n"),
    ('tests: no_spam', "\n/fooservice\n  database = u'/databases/foomain'\n  favorite_color = u'red'\n  threads = 1\n  /providers\n"),
    ('literals', r"""
/literals : some  type
  s1 = 'plain'
  s2 = u'unicode \u20ac \U0001F600 \xe9'
  s3 = "double 'quoted'"
  s4 = 'caf\xc3\xa9'
  s5 = b'bytes'
  s6 = r'raw\n\d'
  s7 = ur'raw \u00e9 \\u0041'
  s8 = 'a' "b" u'c'
  s9 = '''triple ' " quoted'''
  s10 = 'esc \a\b\f\n\r\t\v \0 \101 \q \\ \''
  s11 = u'esc \101 \777 \x41'
  s12 = 'caf\u00e9'
  s13 = 'it''s'
  s14 = u'\ud83d\ude00'
  i1 = 0
  i2 = -17
  i3 = 0x1F
  i4 = 0o17
  i5 = 017
  i6 = 0b101
  i7 = 12L
  i8 = 123456789012345678901234567890
  i9 = -9223372036854775809
  i10 = ~5
  i11 = +3
  i12 = 9007199254740993
  f1 = 1.0
  f2 = 1.5
  f3 = 1e16
  f4 = .5
  f5 = 1.
  f6 = -0.0
  f7 = 1e-5
  f8 = 09.5
  f9 = 1e400
  f10 = 0.1
  b1 = True
  b2 = False
  n = None
  l1 = [1, 'two', [3.0, None], ]
  l2 = (1, 2)
  l3 = (1,)
  l4 = ()
  l5 = (1)
  l6 = 1, 2
  d1 = {'a': 1, u'b': [True], 2: 'int key', 1.5: 'float', True: 't', None: 'n'}
  d2 = {}
  c1 = 5 # trailing comment
  c2 = '#not a comment' # but this is
  weird=>name
  a=='double equals'
"""),
    ('indentation', """
  /a
    /b
      x = 1
      /c
    /d
  /e
\t\t\t/tab
"""),
    ('names', "\n/192.168.0.42:8080\n/a:b\n/c :d\n/e: f g\n/h : i : j\n/n\n  /x = 2\n  y=>z /w /v\n  /x -> /y\n"),
    ('crlf', '/a\r\n  x = 1\r\n  /b\r\n'),
    ('string_value', "/raw\n  string_value = 'just text'\n/raw2\n  string_value = 'caf\\xc3\\xa9'\n/raw3\n  string_value = '\\xff'\n"),
    ('empty', ''),
    ('comments only', '# nothing\n   # here\n\n'),
]
for name, text in IMPORTS:
    record_import(name, text)

ERRORS = [
    ('bad expression', '\n/test\n  a= 1+\n'),
    ('bad link', '\n/test\n  a ->\n'),
    ('bad link target spaces', '/test\n  a -> /b c\n'),
    ('unrecognized', '/test\n  what is this\n'),
    ('top-level property', 'x = 1'),
    ('property after top node', '/y\nx = 1'),
    ('link above nodes', 'a -> /b\n/c'),
    ('invalid indentation', '/a\n    /b\n  /c\n'),
    ('invalid indentation first line', '  /a\n/b\n'),
    ('indent under property', '/a\n  x = 1\n    y = 2\n'),
    ('indent under link', '/a\n  x -> /b\n    /c\n'),
    ('duplicate node', '/a\n  /b\n  /b\n'),
    ('duplicate top node', '/a\n/a\n'),
    ('duplicate property', '/a\n  x = 1\n  x = 2\n'),
    ('duplicate type', '/a : t\n  type = 1\n'),
    ('duplicate link', '/a\n  x -> /b\n  x -> /c\n'),
    ('duplicate property link', '/a\n  x => /b\n  x => /c\n'),
    ('unterminated string', "/a\n  x = 'abc\n"),
    ('unterminated list', '/a\n  x = [1, 2\n'),
    ('quoted equals in name', "/a\n  a='b=c'\n"),
    ('root only', '/\n'),
    ('type without value', '/p :\n'),
    ('top-level slash property', '/x = 1\n'),
    ('octal 8', '/a\n  x = 08\n'),
    ('bad hex escape', "/a\n  x = '\\x4'\n"),
    ('set value', '/a\n  x = {1, 2}\n'),
    ('complex value', '/a\n  x = 1j\n'),
    ('bytes not utf-8', "/a\n  x = '\\xff'\n  y = 1\n"),
    ('octal escape beyond a byte', "/a\n  x = '\\777'\n"),
    ('second error wins later', '/a\n  x = 1\n/a\n  x = )\n'),
]
for name, text in ERRORS:
    record_error(name, text)

# ---------------------------------------------------------------- values
values = []
for expr in [
    "0", "1", "-1", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "-9223372036854775809", "2**70", "1.0", "-0.0", "0.1", "0.30000000000000004", "1e16", "1e15",
    "123456789012345.6", "1234567890123456.7", "1e-4", "1e-5", "1.5e-7", "5e-324", "1.7976931348623157e308",
    "float('inf')", "float('-inf')", "float('nan')", "1e22", "2.5e+100", "1.25", "100.0",
    "u''", "u'abc'", "u\"it's\"", "u'say \"hi\"'", "u'both \\' and \"'", "u'\\\\'", "u'\\t\\n\\r\\x00\\x1f\\x7f\\x80\\xff'",
    "u'\\u0100\\uffff\\U0001f600\\ud800'", "u'caf\\xe9'", "True", "False", "None", "[]", "{}",
    "[1, u'a', [None, True], {u'k': 1.5}]", "{u'a': 1, u'b': 2, u'c': 3}",
    "dict((u'k%d' % i, i) for i in range(20))", "[u'\\xe9', {u'\\u20ac': [1.0, 2L]}]",
]:
    v = eval(expr)
    values.append(dict(expr=expr, json=json.dumps(v, separators=(',', ':')), repr=repr(json.loads(json.dumps(v))),
                       str=str(json.loads(json.dumps(v))) if not isinstance(v, unicode) else None))
strs = []
for x in [0.1 + 0.2, 1e12, 123456789012.0, 1234567890123.0, 1e-5, 0.0001, 1.0, 100.0, 1234567890.125,
          1234567890.375, 2.5, 1e16, 1e300, 5e-324, 123.456, -0.0, 0.5, 1.0 / 3, 2.0 / 3, 999999999999.5,
          9999999999995.0, 0.000123456789012345]:
    strs.append(dict(value=repr(x), str=str(x), repr=repr(x)))
bytes_reprs = []
for b in ['', 'abc', "it's", 'say "hi"', 'both \' and "', '\\', '\t\n\r\x00\x1f\x7f\x80\xff', 'caf\xc3\xa9']:
    bytes_reprs.append(dict(hex=b.encode('hex'), repr=repr(b)))
hashes = []
for s in [u'', u'a', u'abc', u'type', u'\xe9', u'\u20ac', u'\U0001f600', u'providers', u'a' * 50]:
    hashes.append(dict(key=s, hash=str(hash(s))))

def dump(name, obj):
    with open(os.path.join(HERE, name), 'w') as f:
        json.dump(obj, f, indent=1, sort_keys=True, ensure_ascii=True)
        f.write('\n')

dump('zc-zk-exports.json', exports)
dump('zc-zk-imports.json', imports)
dump('zc-zk-errors.json', errors)
dump('python2-values.json', dict(values=values, floatStr=strs, bytesRepr=bytes_reprs, hashes=hashes))
