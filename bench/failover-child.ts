// A registered ZEO server in its own process, for bench/failover.ts to
// kill -9: serves the FileStorage at argv[2], registers at argv[4] in the
// ZooKeeper at argv[3], then prints "ready <port>".
import { ZooKeeper } from '../src/registry/zookeeper.js';
import { startZeoServer } from '../src/server/run-server.js';

const [file, zookeeper, path] = process.argv.slice(2);
const running = await startZeoServer({ address: '127.0.0.1:0', files: [file!], fsync: false });
const zk = await ZooKeeper.connect(zookeeper!);
const port = running.address.family === 'unix' ? 0 : running.address.port;
await zk.register(path!, ['127.0.0.1', port]);
process.stdout.write(`ready ${port}\n`);
