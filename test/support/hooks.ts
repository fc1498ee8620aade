// Mocha root hooks (loaded through .mocharc.json "require").
import { stopSharedZooKeeper } from './zookeeper.js';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopSharedZooKeeper();
  },
};
