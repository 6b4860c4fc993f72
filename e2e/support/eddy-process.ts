import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built `eddy` command of this checkout (e2e tests run after `pnpm build`). */
export const eddyBin = fileURLToPath(new URL('../../packages/cli/bin/eddy.js', import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `eddy args...` to completion, feeding `input` on stdin; bounded by `timeoutMs`. */
export function runEddy(args: readonly string[], options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [eddyBin, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`eddy ${args.join(' ')} did not finish within ${options.timeoutMs ?? 30_000} ms`));
    }, options.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A long-running `eddy` process (a server) that tests stop, kill and restart. */
export class EddyProcess {
  private child: ChildProcess | undefined;
  private output: string[] = [];
  private exit: Promise<number | null> = Promise.resolve(null);

  /**
   * `commandPrefix` runs the process through another program that must exec it (not fork),
   * so that signals reach `eddy` itself: e.g. `ip netns exec NS`.
   */
  constructor(
    readonly args: readonly string[],
    private readonly commandPrefix: readonly string[] = [],
  ) {}

  start(): void {
    const [program, ...prefixArgs] = [...this.commandPrefix, process.execPath];
    const child = spawn(program, [...prefixArgs, eddyBin, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.output = [];
    child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.child = child;
  }

  /** The operating system's id of the running process (undefined when it is not running). */
  get pid(): number | undefined {
    return this.isRunning ? this.child?.pid : undefined;
  }

  get isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the process printed (its log lines), for failure messages. */
  get log(): string {
    return this.output.join('');
  }

  /** SIGKILL: no shutdown hooks, un-flushed data is lost. */
  async kill(): Promise<void> {
    if (!this.isRunning) return;
    this.child?.kill('SIGKILL');
    await this.exit;
  }

  /** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.isRunning) return this.child?.exitCode ?? null;
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }
}
