#!/usr/bin/env node
import { processIo } from './cli-io.js';
import { zookeeperExport } from './zookeeper-tools.js';

process.exitCode = await zookeeperExport(process.argv.slice(2), processIo);
