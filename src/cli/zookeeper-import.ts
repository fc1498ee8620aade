#!/usr/bin/env node
import { processIo } from './cli-io.js';
import { zookeeperImport } from './zookeeper-tools.js';

process.exitCode = await zookeeperImport(process.argv.slice(2), processIo);
