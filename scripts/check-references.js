#!/usr/bin/env node
// `pnpm lint` part two: keeps the TypeScript project graph in step with the package graph.
// - each workspace package's tsconfig.json `references` are exactly its @nuanyang/* (runtime) dependencies that are
//   TypeScript projects (have a tsconfig.json);
// - the root tsconfig.json references every TypeScript package of the workspace, and nothing else;
// - the STANDALONE packages below are the exception: type-checked on their own, with a `typecheck` script;
// - every dependency is `workspace:*` (our packages) or `catalog:` with an entry in pnpm-workspace.yaml.

const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const problems = [];
const rel = (p) => path.relative(root, p) || '.';

function readJson(file) {
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  if (error) throw new Error(`${rel(file)}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  return config;
}

/** The `packages:` globs and `catalog:` names of pnpm-workspace.yaml (a flat file: no YAML library needed). */
function readWorkspace() {
  const lines = fs.readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8').split('\n');
  const globs = [];
  const catalog = new Set();
  let section = '';
  for (const line of lines) {
    if (/^\S/.test(line)) section = line.replace(/:.*$/, '').trim();
    else if (section === 'packages') {
      const m = /^\s+-\s+["']?([^"'\s]+)["']?/.exec(line);
      if (m) globs.push(m[1]);
    } else if (section === 'catalog') {
      const m = /^\s+["']?([^"':]+(?::[^"':]+)?)["']?\s*:/.exec(line);
      if (m) catalog.add(m[1]);
    }
  }
  return { globs, catalog };
}

/** Expands `dir/*` and plain `dir` globs to existing folders with a package.json. */
function packageDirs(globs) {
  const dirs = [];
  for (const glob of globs) {
    if (glob.endsWith('/*')) {
      const parent = path.join(root, glob.slice(0, -2));
      if (!fs.existsSync(parent)) continue;
      for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(path.join(parent, entry.name));
      }
    } else {
      dirs.push(path.join(root, glob));
    }
  }
  return dirs.filter((dir) => fs.existsSync(path.join(dir, 'package.json'))).sort();
}

/**
 * Packages with a tsconfig.json that are not part of `tsc -b`: the console is bundled by Vite and only
 * type-checked (`tsc --noEmit`), which a composite project cannot be. They must not appear in the root
 * references; their `typecheck` script runs in `make lint` and `make build` instead.
 */
const STANDALONE = new Set(['@nuanyang/console']);

const { globs, catalog } = readWorkspace();
const packages = new Map(); // name -> { dir, manifest, hasTsconfig }
for (const dir of packageDirs(globs)) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const tsconfig = fs.existsSync(path.join(dir, 'tsconfig.json'));
  if (STANDALONE.has(manifest.name) && !manifest.scripts?.typecheck) {
    problems.push(`${rel(dir)}/package.json: a standalone TypeScript package needs a "typecheck" script`);
  }
  packages.set(manifest.name, { dir, manifest, hasTsconfig: tsconfig && !STANDALONE.has(manifest.name) });
}
const nameByDir = new Map([...packages].map(([name, p]) => [p.dir, name]));

function checkSpecs(file, manifest) {
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, spec] of Object.entries(manifest[field] ?? {})) {
      if (packages.has(dep)) {
        if (spec !== 'workspace:*') problems.push(`${rel(file)}: ${dep} must be "workspace:*", is "${spec}"`);
      } else if (spec !== 'catalog:') {
        problems.push(
          `${rel(file)}: ${dep} must be "catalog:" (versions live in pnpm-workspace.yaml), is "${spec}"`,
        );
      } else if (!catalog.has(dep)) {
        problems.push(`${rel(file)}: ${dep} has no entry in the pnpm-workspace.yaml catalog`);
      }
    }
  }
}

function referencedNames(tsconfigFile) {
  const config = readJson(tsconfigFile);
  const names = [];
  for (const ref of config.references ?? []) {
    const target = path.resolve(path.dirname(tsconfigFile), ref.path);
    const dir = target.endsWith('.json') ? path.dirname(target) : target;
    const name = nameByDir.get(dir);
    if (!name) problems.push(`${rel(tsconfigFile)}: reference ${ref.path} is not a workspace package`);
    else if (!packages.get(name).hasTsconfig)
      problems.push(`${rel(tsconfigFile)}: ${ref.path} has no tsconfig.json`);
    else names.push(name);
  }
  return names;
}

for (const [name, { dir, manifest, hasTsconfig }] of packages) {
  checkSpecs(path.join(dir, 'package.json'), manifest);
  if (!hasTsconfig) continue;
  const tsconfig = path.join(dir, 'tsconfig.json');
  // devDependencies serve the tests, which swc runs and tsc -b does not compile: no reference needed.
  // Runtime dependencies must be referenced; a devDependency only the tests use (tests are not part of the
  // tsc build: jest maps workspace packages to their sources) may be, but need not.
  const isProject = (dep) => packages.has(dep) && packages.get(dep).hasTsconfig && dep !== name;
  const deps = Object.keys(manifest.dependencies ?? {}).filter(isProject);
  const devDeps = Object.keys(manifest.devDependencies ?? {}).filter(isProject);
  const refs = referencedNames(tsconfig);
  for (const dep of deps) {
    if (!refs.includes(dep)) problems.push(`${rel(tsconfig)}: depends on ${dep} but has no reference to it`);
  }
  for (const ref of refs) {
    if (!deps.includes(ref) && !devDeps.includes(ref))
      problems.push(`${rel(tsconfig)}: references ${ref} but package.json does not depend on it`);
  }
}

checkSpecs(
  path.join(root, 'package.json'),
  JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')),
);
const rootTsconfig = path.join(root, 'tsconfig.json');
const rootRefs = referencedNames(rootTsconfig);
for (const [name, { dir, hasTsconfig }] of packages) {
  if (hasTsconfig && !rootRefs.includes(name))
    problems.push(`tsconfig.json: no reference to ${rel(dir)} (${name})`);
}

if (problems.length > 0) {
  console.error(`check-references: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-references: ${packages.size} packages, references and dependency versions consistent`);
