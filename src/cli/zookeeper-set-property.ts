#!/usr/bin/env node
import { processIo } from './cli-io.js';
import { zookeeperSetProperty } from './zookeeper-tools.js';

process.exitCode = await zookeeperSetProperty(process.argv.slice(2), processIo);
