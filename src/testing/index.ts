/**
 * Real ZooKeeper servers for tests, demos and benchmarks, like Curator's
 * `TestingServer` and `TestingCluster`: `import { TestingServer } from
 * 'zkzeo/testing'`. They run Debian's `libzookeeper-java`
 * (`apt-get install --no-install-recommends libzookeeper-java`) on
 * loopback with temp data directories, and are killed when the process
 * exits.
 *
 * @packageDocumentation
 */
export { TestingServer } from './testing-server.js';
export type { TestingServerOptions } from './testing-server.js';
export { TestingEnsemble } from './testing-ensemble.js';
export type { TestingEnsembleOptions } from './testing-ensemble.js';
export { ZooKeeperMember } from './zookeeper-member.js';
export type { MemberLayout } from './zookeeper-member.js';
export { expireSession } from './expire-session.js';
export type { ExpireSessionOptions } from './expire-session.js';
export { fourLetterWord, serverMode } from './four-letter-word.js';
export { freePorts } from './free-port.js';
