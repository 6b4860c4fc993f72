/**
 * Fails when the code breaks the dependency rules of DESIGN.md:
 *  - a workspace package imports (or depends on) a package the diagram does not allow;
 *  - files inside a package import each other in a cycle;
 *  - a pure core (no I/O, no timers, no randomness) imports a node:* module or a
 *    third-party package.
 * Run: `npx tsx tools/check-deps.ts` (part of `pnpm lint`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** DESIGN.md's diagram: an entry lists every workspace package the key may import. */
export const allowedImports: Readonly<Record<string, readonly string[]>> = {
  base: [],
  record: ['base'],
  protocol: ['record', 'base'],
  raft: ['base'],
  log: ['record', 'base'],
  metadata: ['base'],
  broker: ['raft', 'log', 'metadata', 'protocol', 'record', 'base'],
  client: ['protocol', 'record', 'base'],
  testing: ['broker', 'client'],
  cli: ['client', 'broker', 'base'],
};

/** Folders whose code must stay pure: only relative imports and workspace packages. */
const pureCoreDirs = ['packages/raft/src/core', 'packages/raft/src/quorum', 'packages/raft/src/tracker', 'packages/base/src'];
const pureCoreExceptions = new Set(['packages/base/src/bounded-queue.ts']);

const importPattern = /(?:^|\s)((?:import|export)\s[^'"]*?)from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

interface ImportEdge {
  readonly spec: string;
  /** `import type` / `export type`: erased at compile time, so it cannot form a load cycle. */
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(importPattern)]
    .map((m) => ({ spec: m[2] ?? m[3] ?? m[4] ?? '', typeOnly: /^(?:import|export)\s+type\s/.test(m[1] ?? '') }))
    .filter((edge) => edge.spec !== '');
}

function isTestFile(file: string): boolean {
  return /\.test\.ts$/.test(file) || file.includes('/testing/');
}

export function findViolations(): string[] {
  const problems: string[] = [];
  for (const pkg of Object.keys(allowedImports)) {
    const pkgDir = join(root, 'packages', pkg);
    const allowed = new Set(allowedImports[pkg]);
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      const name = dep.replace(/^@eddy\//, '');
      if (dep.startsWith('@eddy/') && !allowed.has(name)) problems.push(`packages/${pkg}/package.json depends on ${dep}`);
    }
    const files = sourceFiles(join(pkgDir, 'src'));
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const rel = relative(root, file);
      const edges: string[] = [];
      for (const { spec, typeOnly } of importsOf(file)) {
        if (spec.startsWith('@eddy/')) {
          const target = spec.slice('@eddy/'.length).split('/')[0] ?? '';
          if (target !== pkg && !allowed.has(target)) problems.push(`${rel} imports ${spec}`);
        } else if (spec.startsWith('.')) {
          if (!typeOnly) edges.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        } else if (pureCoreDirs.some((d) => rel.startsWith(d)) && !pureCoreExceptions.has(rel) && !isTestFile(rel)) {
          problems.push(`${rel} is pure core code but imports ${spec}`);
        }
      }
      graph.set(file, edges);
    }
    problems.push(...findCycles(graph).map((cycle) => `import cycle: ${cycle.map((f) => relative(root, f)).join(' -> ')}`));
  }
  return problems;
}

/** Depth-first search for back edges; reports each cycle once, starting from its first file. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      const seen = state.get(next);
      if (seen === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = findViolations();
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  if (problems.length > 0) process.exit(1);
  process.stdout.write(`dependency rules hold for ${Object.keys(allowedImports).length} packages\n`);
}
