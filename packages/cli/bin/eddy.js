#!/usr/bin/env node
// The installed `eddy` command: runs the built CLI (`pnpm build` produces dist/).

// A broker opens, fsyncs and reads many partition files at once; libuv's default of 4 file-IO
// threads makes them queue. The pool is created on first use, so this must run before any I/O.
process.env.UV_THREADPOOL_SIZE ??= '16';

const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
