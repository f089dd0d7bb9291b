// The layers of src/ (docs/ARCHITECTURE.md, "The layers"), lowest first. A module may import from
// its own layer and the layers below it, never from above; no import cycles anywhere; shipped
// code never imports a devDependency. `npm run lint` runs this (and npm test runs the lint).
const LAYERS = [
  ['errors.ts', 'clock.ts', 'log.ts', 'version.ts', 'turn-batch.ts'],
  ['config'],
  ['secrets'],
  ['store'],
  ['token'],
  ['auth'],
  ['users'],
  ['state'],
  ['http'],
  ['metrics'],
  ['proxy'],
  ['tracing'],
  ['identity'],
  ['lifecycle'],
  ['endpoints'],
  ['portal'],
  ['admin'],
  ['gateway'],
  ['cluster', 'cli', 'cli.ts', 'serve.ts', 'demo-upstream.ts'],
];

const pathOf = (names) => `^src/(${names.map((n) => n.replace('.', '\\.') + (n.endsWith('.ts') ? '$' : '/')).join('|')})`;

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.join('+')}`,
  comment: `${layer.join(', ')} may not import from a layer above it (${LAYERS.slice(i + 1).flat().join(', ')})`,
  severity: 'error',
  from: { path: pathOf(layer) },
  to: { path: pathOf(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    { name: 'no-circular', comment: 'no import cycles in src/', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
    {
      name: 'src-not-to-dev-deps', comment: 'shipped code imports only dependencies, never a devDependency',
      severity: 'error', from: { path: '^src/' }, to: { dependencyTypes: ['npm-dev'] },
    },
    { name: 'every-layer-named', comment: 'a new folder in src/ gets its place in LAYERS', severity: 'error',
      from: { path: '^src/', pathNot: `${pathOf(LAYERS.flat())}|^src/portal/web/` }, to: {} },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/portal/web/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
  },
};
