/**
 * The import graph of src/ and plugins/ keeps the shape STYLE.md ("The house") and DESIGN.md
 * describe. Every `import … from '…'`, `export … from '…'`, side-effect `import '…'` and literal
 * `import('…')` of every .ts file is read with a regular expression (statements that start a
 * line, so examples inside JSDoc do not count), relative paths are resolved, and the rules below
 * are checked. Type-only imports count: a layer that names another layer's types knows about it.
 *
 * Layers, highest first; imports go down or sideways, never up:
 *   root        src/app.ts, src/main.ts: the composition root, may import everything
 *   front end   src/cli, src/admin, src/smtp, src/imap, src/control, src/gateways
 *   service     src/pipeline, src/queue, src/plugins (host and the rest), src/audit, src/mailauth
 *   foundation  src/store, src/mime, src/dns, src/tls
 *   leaf        src/config, src/log.ts, src/errors.ts, src/plugins/api.ts and what it re-exports
 *
 * Rules (each violation names one):
 *   down-only          no import reaches a higher layer
 *   front-ends-apart   a front end never imports another front end (DESIGN.md: "They never call
 *                      each other")
 *   foundations-apart  foundations stay independent, except the peers listed in FOUNDATION_PEERS
 *                      (the store caches parsed MIME, so it may import src/mime)
 *   folders-acyclic    services may import each other (the pipeline drives audit, mailauth,
 *                      plugins and the queue), but no import cycle, in any layer, spans two
 *                      folders (src/<folder>, plugins/<name>)
 *   plugins-use-api    plugins/<name>/ imports only src/plugins/api.ts, its own folder, node
 *                      built-ins and npm packages
 *   protocol-pure      src/imap/protocol imports no I/O built-in and nothing outside itself but
 *                      leaves (STYLE.md habit 3)
 *   store-contract     outside src/store, the store is reached through its contract: index.ts,
 *                      types.ts, events.ts, never the LevelDB implementation in store/level/
 *                      (DESIGN.md: "The store is an interface")
 *   declared-deps      a package imported by src/ or plugins/ is a "dependencies" entry of
 *                      package.json (a devDependency would be missing in a production install)
 *   unclassified       every file under src/ belongs to a layer (a new top-level folder is a
 *                      decision: add it to LAYERS)
 *   unresolved         every relative import names an existing file
 *
 * EXCEPTIONS lifts one rule for named edges, each with the reason. An exception that no longer
 * matches any import fails the test too, so the list only shrinks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

type Layer = 'root' | 'front end' | 'service' | 'foundation' | 'leaf';
const rank: Record<Layer, number> = { leaf: 0, foundation: 1, service: 2, 'front end': 3, root: 4 };

/** First matching prefix wins: the specific files come before their folder. */
const LAYERS: ReadonlyArray<readonly [prefix: string, layer: Layer]> = [
  ['src/app.ts', 'root'],
  ['src/main.ts', 'root'],
  ['src/cli/', 'front end'],
  ['src/admin/', 'front end'],
  ['src/smtp/', 'front end'],
  ['src/imap/', 'front end'],
  ['src/control/', 'front end'],
  ['src/gateways/', 'front end'],
  // The public plugin API and the modules it re-exports (schema builders, gateway kit).
  ['src/plugins/api.ts', 'leaf'],
  ['src/plugins/schema.ts', 'leaf'],
  ['src/plugins/gateway-kit.ts', 'leaf'],
  ['src/pipeline/', 'service'],
  ['src/queue/', 'service'],
  ['src/plugins/', 'service'],
  ['src/audit/', 'service'],
  ['src/mailauth/', 'service'],
  ['src/store/', 'foundation'],
  ['src/mime/', 'foundation'],
  ['src/dns/', 'foundation'],
  ['src/tls/', 'foundation'],
  ['src/config/', 'leaf'],
  ['src/log.ts', 'leaf'],
  ['src/errors.ts', 'leaf'],
];

/** Foundation → foundation imports that are allowed (importer component → imported components). */
const FOUNDATION_PEERS: Readonly<Record<string, readonly string[]>> = {
  // The store parses MIME once at delivery and caches ENVELOPE/BODYSTRUCTURE (STYLE.md habit 9).
  'src/store': ['src/mime'],
};

/** The store's contract; everything else under src/store is its LevelDB implementation. */
const STORE_CONTRACT = new Set(['src/store/index.ts', 'src/store/types.ts', 'src/store/events.ts']);

/** Built-ins that do I/O; the pure IMAP protocol code imports none of them. */
const IO_BUILTINS = new Set(['net', 'tls', 'fs', 'fs/promises', 'dgram', 'http', 'https', 'http2', 'child_process', 'dns', 'dns/promises', 'worker_threads', 'cluster']);

type Rule =
  | 'down-only'
  | 'front-ends-apart'
  | 'foundations-apart'
  | 'folders-acyclic'
  | 'plugins-use-api'
  | 'protocol-pure'
  | 'store-contract'
  | 'declared-deps'
  | 'unclassified'
  | 'unresolved';

interface Exception {
  rule: Rule;
  from: readonly string[];
  to: string;
  /** The exception holds only while every import on the edge is `import type`. */
  typeOnly?: boolean;
  why: string;
}

const EXCEPTIONS: readonly Exception[] = [
  {
    rule: 'down-only',
    from: ['src/cli/serve.ts'],
    to: 'src/main.ts',
    why: 'the `bridgehead` binary is the process entry; `serve` hands over to runServer (config → app → listen → signals).',
  },
  {
    rule: 'front-ends-apart',
    from: ['src/cli/control-client.ts'],
    to: 'src/control/operations.ts',
    why:
      'the control request type and the operation table the CLI runs in-process when no server holds the store ' +
      '(DESIGN.md: the command line opens the store itself only when no server runs). Never src/control/server.ts.',
  },
];

interface Edge {
  from: string;
  /** A repository-relative path for relative imports, else the specifier as written. */
  to: string;
  kind: 'internal' | 'builtin' | 'package' | 'unresolved';
  typeOnly: boolean;
}

interface Violation {
  rule: Rule;
  from: string;
  to: string;
  detail: string;
}

const STATEMENT = /^[ \t]*(import|export)\s+(type\s+)?(?:([^'";]*?)\s*from\s*)?['"]([^'"\n]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/** The specifiers a module imports, with whether that statement is type-only. */
function importsOf(source: string): Array<{ specifier: string; typeOnly: boolean }> {
  const found: Array<{ specifier: string; typeOnly: boolean }> = [];
  for (const match of source.matchAll(STATEMENT)) {
    const [, , typeKeyword, clause, specifier] = match;
    if (match[1] === 'export' && clause === undefined) continue; // `export 'x'` is not a statement
    found.push({ specifier, typeOnly: typeKeyword !== undefined || allSpecifiersAreTypes(clause) });
  }
  for (const match of source.matchAll(DYNAMIC)) found.push({ specifier: match[1], typeOnly: false });
  return found;
}

/** `import { type A, type B } from` erases like `import type`. */
function allSpecifiersAreTypes(clause: string | undefined): boolean {
  const braces = clause?.trim().match(/^\{([^}]*)\}$/);
  if (!braces) return false;
  const names = braces[1].split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  return names.length > 0 && names.every((name) => name.startsWith('type '));
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier);
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function resolveRelative(from: string, specifier: string, exists: (path: string) => boolean): string | null {
  const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = joined.endsWith('.js') ? [joined.replace(/\.js$/, '.ts'), joined.replace(/\.js$/, '.d.ts')] : [joined];
  return candidates.find(exists) ?? null;
}

function edgesOf(file: string, source: string, exists: (path: string) => boolean): Edge[] {
  const byTarget = new Map<string, Edge>();
  for (const { specifier, typeOnly } of importsOf(source)) {
    let edge: Edge;
    if (specifier.startsWith('.')) {
      const resolved = resolveRelative(file, specifier, exists);
      edge = { from: file, to: resolved ?? specifier, kind: resolved ? 'internal' : 'unresolved', typeOnly };
    } else {
      edge = { from: file, to: specifier, kind: isBuiltin(specifier) ? 'builtin' : 'package', typeOnly };
    }
    const earlier = byTarget.get(edge.to);
    byTarget.set(edge.to, earlier ? { ...earlier, typeOnly: earlier.typeOnly && edge.typeOnly } : edge);
  }
  return [...byTarget.values()];
}

function layerOf(file: string): Layer | null {
  return LAYERS.find(([prefix]) => file === prefix || (prefix.endsWith('/') && file.startsWith(prefix)))?.[1] ?? null;
}

/** The unit that "never import each other" speaks of: src/<folder>, src/<file>.ts or plugins/<name>. */
function componentOf(file: string): string {
  const parts = file.split('/');
  return parts.length <= 2 ? file : `${parts[0]}/${parts[1]}`;
}

/** Strongly connected components (Tarjan) of the internal import graph, larger than one file. */
function cyclesOf(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const edge of edges) {
    if (edge.kind !== 'internal') continue;
    next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const members: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        members.push(member);
      } while (member !== node);
      if (members.length > 1) cycles.push(members.sort());
    }
  };
  for (const node of next.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** Every rule violation of the graph, before exceptions. */
function violationsOf(files: readonly string[], edges: readonly Edge[], dependencies: ReadonlySet<string>): Violation[] {
  const found: Violation[] = [];
  const add = (rule: Rule, edge: Pick<Edge, 'from' | 'to'>, detail: string) => found.push({ rule, from: edge.from, to: edge.to, detail });

  for (const file of files) {
    if (file.startsWith('src/') && layerOf(file) === null) add('unclassified', { from: file, to: '' }, 'no layer in LAYERS');
  }

  for (const edge of edges) {
    if (edge.kind === 'unresolved') {
      add('unresolved', edge, 'no such file');
      continue;
    }
    if (edge.kind === 'package' && !dependencies.has(packageName(edge.to))) {
      add('declared-deps', edge, `${packageName(edge.to)} is not in package.json "dependencies"`);
    }

    if (edge.from.startsWith('src/imap/protocol/')) {
      if (edge.kind === 'builtin' && IO_BUILTINS.has(edge.to.replace(/^node:/, ''))) add('protocol-pure', edge, 'I/O built-in');
      if (edge.kind === 'internal' && !edge.to.startsWith('src/imap/protocol/') && layerOf(edge.to) !== 'leaf') {
        add('protocol-pure', edge, 'imports outside the protocol folder and the leaves');
      }
    }

    if (edge.kind !== 'internal') continue;
    const fromComponent = componentOf(edge.from);
    const toComponent = componentOf(edge.to);

    if (edge.from.startsWith('plugins/')) {
      if (edge.to !== 'src/plugins/api.ts' && toComponent !== fromComponent) {
        add('plugins-use-api', edge, 'a plugin imports only src/plugins/api.ts and its own folder');
      }
      continue;
    }

    if (fromComponent !== 'src/store' && edge.to.startsWith('src/store/') && !STORE_CONTRACT.has(edge.to)) {
      add('store-contract', edge, 'reaches into the store implementation');
    }

    const fromLayer = layerOf(edge.from);
    const toLayer = layerOf(edge.to);
    if (fromLayer === null || toLayer === null) continue;
    // Checked inside a folder too: src/plugins holds the leaf API and the host service.
    if (rank[toLayer] > rank[fromLayer]) {
      add('down-only', edge, `${fromLayer} imports ${toLayer}`);
    } else if (fromComponent === toComponent) {
      continue;
    } else if (fromLayer === 'front end' && toLayer === 'front end') {
      add('front-ends-apart', edge, `${fromComponent} imports ${toComponent}`);
    } else if (fromLayer === 'foundation' && toLayer === 'foundation' && !FOUNDATION_PEERS[fromComponent]?.includes(toComponent)) {
      add('foundations-apart', edge, `${fromComponent} imports ${toComponent}`);
    }
  }

  for (const cycle of cyclesOf(edges)) {
    const components = new Set(cycle.map(componentOf));
    if (components.size > 1) {
      add('folders-acyclic', { from: cycle[0], to: cycle.slice(1).join(', ') }, `an import cycle spans ${[...components].sort().join(', ')}`);
    }
  }
  return found;
}

function excused(violation: Violation, edges: readonly Edge[]): Exception | undefined {
  return EXCEPTIONS.find((exception) => {
    if (exception.rule !== violation.rule || exception.to !== violation.to || !exception.from.includes(violation.from)) return false;
    if (!exception.typeOnly) return true;
    return edges.some((edge) => edge.from === violation.from && edge.to === violation.to && edge.typeOnly);
  });
}

function sourceFiles(dir: string): string[] {
  const absolute = posix.join(projectRoot, dir);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute, { recursive: true, encoding: 'utf8' })
    .map((name) => posix.join(dir, name.split('\\').join('/')))
    .filter((name) => name.endsWith('.ts'))
    .sort();
}

function projectGraph(): { files: string[]; edges: Edge[]; dependencies: Set<string> } {
  const files = [...sourceFiles('src'), ...sourceFiles('plugins')];
  const exists = (path: string) => existsSync(posix.join(projectRoot, path));
  const edges = files.flatMap((file) => edgesOf(file, readFileSync(posix.join(projectRoot, file), 'utf8'), exists));
  const manifest = JSON.parse(readFileSync(posix.join(projectRoot, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return { files, edges, dependencies: new Set(Object.keys(manifest.dependencies ?? {})) };
}

const show = (v: Violation) => `${v.rule}: ${v.from}${v.to ? ` -> ${v.to}` : ''} (${v.detail})`;

t.test('the project follows the import rules', async (t) => {
  const { files, edges, dependencies } = projectGraph();
  t.ok(files.length > 100 && edges.length > 500, `read the tree (${files.length} files, ${edges.length} imports)`);

  const violations = violationsOf(files, edges, dependencies);
  const unexcused = violations.filter((violation) => !excused(violation, edges)).map(show);
  t.strictSame(unexcused, [], 'no import breaks a rule (see the header of test/architecture.test.ts)');

  const stale = EXCEPTIONS.flatMap((exception) =>
    exception.from
      .filter((from) => !violations.some((violation) => violation.from === from && excused(violation, edges) === exception))
      .map((from) => `${exception.rule}: ${from} -> ${exception.to}`),
  );
  t.strictSame(stale, [], 'every exception is still needed (delete the ones listed)');
});

t.test('the import reader', async (t) => {
  const source = [
    '/**',
    ' * Example: import { nope } from "./in-a-comment.js";',
    ' */',
    "import { a,",
    "  b } from './multi-line.js';",
    "import type { T } from '../types.js';",
    "import { type U, type V } from './only-types.js';",
    "import { type W, x } from './mixed.js';",
    "import './side-effect.js';",
    "export * from './re-export.js';",
    "export { y } from 'some-package/deep/path.js';",
    "export const from = 'not-an-import';",
    "const z = await import('node:net');",
  ].join('\n');
  t.strictSame(importsOf(source), [
    { specifier: './multi-line.js', typeOnly: false },
    { specifier: '../types.js', typeOnly: true },
    { specifier: './only-types.js', typeOnly: true },
    { specifier: './mixed.js', typeOnly: false },
    { specifier: './side-effect.js', typeOnly: false },
    { specifier: './re-export.js', typeOnly: false },
    { specifier: 'some-package/deep/path.js', typeOnly: false },
    { specifier: 'node:net', typeOnly: false },
  ]);

  const present = new Set(['src/store/types.ts', 'plugins/sms/smpp.d.ts']);
  t.strictSame(
    edgesOf('src/store/level/x.ts', "import type { S } from '../types.js';\nimport { gone } from './gone.js';\nimport 'fs';\nimport '@scope/pkg/sub';", (p) => present.has(p)),
    [
      { from: 'src/store/level/x.ts', to: 'src/store/types.ts', kind: 'internal', typeOnly: true },
      { from: 'src/store/level/x.ts', to: './gone.js', kind: 'unresolved', typeOnly: false },
      { from: 'src/store/level/x.ts', to: 'fs', kind: 'builtin', typeOnly: false },
      { from: 'src/store/level/x.ts', to: '@scope/pkg/sub', kind: 'package', typeOnly: false },
    ],
  );
  t.equal(edgesOf('plugins/sms/index.ts', "import type {} from './smpp.js';", (p) => present.has(p))[0].to, 'plugins/sms/smpp.d.ts', 'a .js specifier may name a .d.ts');
});

t.test('each rule catches what it forbids, and allows what it allows', async (t) => {
  const internal = (from: string, to: string): Edge => ({ from, to, kind: 'internal', typeOnly: false });
  const rulesOf = (edges: Edge[], files: string[] = []) => violationsOf(files, edges, new Set(['level'])).map((v) => v.rule);

  t.strictSame(
    rulesOf([
      internal('src/smtp/server.ts', 'src/pipeline/index.ts'),
      internal('src/imap/server.ts', 'src/imap/protocol/parser.ts'),
      internal('src/pipeline/index.ts', 'src/queue/dsn.ts'),
      internal('src/pipeline/index.ts', 'src/store/types.ts'),
      internal('src/store/level/index.ts', 'src/mime/index.ts'),
      internal('src/store/level/index.ts', 'src/errors.ts'),
      internal('src/app.ts', 'src/imap/server.ts'),
      internal('src/main.ts', 'src/app.ts'),
      internal('plugins/sms/index.ts', 'src/plugins/api.ts'),
      internal('plugins/sms/index.ts', 'plugins/sms/encoding.ts'),
      internal('src/plugins/api.ts', 'src/plugins/gateway-kit.ts'),
      internal('src/imap/protocol/sequence.ts', 'src/errors.ts'),
      { from: 'src/imap/protocol/parser.ts', to: 'node:buffer', kind: 'builtin', typeOnly: false },
      { from: 'src/store/level/index.ts', to: 'level', kind: 'package', typeOnly: false },
    ]),
    [],
    'allowed imports',
  );

  const cases: Array<[Edge[], Rule[], string]> = [
    [[internal('src/store/level/index.ts', 'src/pipeline/index.ts')], ['down-only'], 'store imports a service'],
    [[internal('src/pipeline/index.ts', 'src/smtp/server.ts')], ['down-only'], 'a service imports a front end'],
    [[internal('src/config/load.ts', 'src/store/types.ts')], ['down-only'], 'a leaf imports a foundation'],
    [[internal('src/plugins/api.ts', 'src/plugins/host.ts')], ['down-only'], 'the plugin API imports the host'],
    [[internal('src/cli/serve.ts', 'src/app.ts')], ['down-only'], 'a front end imports the composition root'],
    [[internal('src/imap/server.ts', 'src/smtp/server.ts')], ['front-ends-apart'], 'IMAP imports SMTP'],
    [[internal('src/gateways/index.ts', 'src/cli/common.ts')], ['front-ends-apart'], 'gateways import the CLI'],
    [[internal('src/mime/parse.ts', 'src/store/types.ts')], ['foundations-apart'], 'mime imports the store'],
    [[internal('src/store/index.ts', 'src/dns/resolver.ts')], ['foundations-apart'], 'store imports dns'],
    [[internal('plugins/sms/index.ts', 'src/store/types.ts')], ['plugins-use-api'], 'a plugin imports the store'],
    [[internal('plugins/sms/index.ts', 'src/plugins/host.ts')], ['plugins-use-api'], 'a plugin imports the host'],
    [[internal('plugins/sms/index.ts', 'plugins/fax/render.ts')], ['plugins-use-api'], 'a plugin imports another plugin'],
    [[{ from: 'src/imap/protocol/parser.ts', to: 'node:net', kind: 'builtin', typeOnly: false }], ['protocol-pure'], 'protocol opens sockets'],
    [[{ from: 'src/imap/protocol/writer.ts', to: 'fs/promises', kind: 'builtin', typeOnly: true }], ['protocol-pure'], 'protocol reads files'],
    [[internal('src/imap/protocol/parser.ts', 'src/imap/session.ts')], ['protocol-pure'], 'protocol imports the session'],
    [[internal('src/pipeline/index.ts', 'src/store/level/keys.ts')], ['store-contract'], 'pipeline reaches into store/level'],
    [[{ from: 'src/queue/queue.ts', to: 'tap', kind: 'package', typeOnly: false }], ['declared-deps'], 'a devDependency in src'],
    [[{ from: 'src/queue/queue.ts', to: './nope.js', kind: 'unresolved', typeOnly: false }], ['unresolved'], 'a missing file'],
    [[], ['unclassified'], 'a new top-level folder'],
    [
      [internal('src/queue/queue.ts', 'src/pipeline/target.ts'), internal('src/pipeline/target.ts', 'src/audit/index.ts'), internal('src/audit/index.ts', 'src/queue/events.ts'), internal('src/queue/events.ts', 'src/queue/queue.ts')],
      ['folders-acyclic'],
      'a cycle through three service folders',
    ],
  ];
  for (const [edges, rules, what] of cases) {
    t.strictSame(rulesOf(edges, what === 'a new top-level folder' ? ['src/webmail/index.ts'] : []), rules, what);
  }

  t.strictSame(rulesOf([internal('src/pipeline/users.ts', 'src/pipeline/profiles.ts'), internal('src/pipeline/profiles.ts', 'src/pipeline/users.ts')]), [], 'a cycle inside one folder is that folder’s business');
});

t.test('exceptions are narrow', async (t) => {
  const { edges } = projectGraph();
  for (const exception of EXCEPTIONS.filter((e) => e.typeOnly)) {
    for (const from of exception.from) {
      const asValue = edges.map((edge) => (edge.from === from && edge.to === exception.to ? { ...edge, typeOnly: false } : edge));
      const violation: Violation = { rule: exception.rule, from, to: exception.to, detail: '' };
      t.equal(excused(violation, asValue), undefined, `${from} -> ${exception.to} is excused for \`import type\` only`);
    }
  }
  t.equal(excused({ rule: 'front-ends-apart', from: 'src/cli/control-client.ts', to: 'src/control/server.ts', detail: '' }, edges), undefined, 'the CLI may not import the control server');
  t.equal(excused({ rule: 'down-only', from: 'src/cli/index.ts', to: 'src/main.ts', detail: '' }, edges), undefined, 'only `serve` hands over to main.ts');
  for (const exception of EXCEPTIONS) t.ok(exception.why.length > 20, `${exception.rule} -> ${exception.to} says why`);
});
