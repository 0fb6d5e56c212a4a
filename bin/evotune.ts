#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { main } from '../src/cli/main.js';

process.exitCode = await main(hideBin(process.argv));
// The command is done and every file it wrote is closed. A library timer that outlives its connection (BullMQ
// retries a dead Redis every 5 s) must not keep the process alive: exit within a second whatever is left.
setTimeout(() => process.exit(), 1_000).unref();
