#!/usr/bin/env node
// The installed `eddy` command: runs the built CLI (`pnpm build` produces dist/).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
