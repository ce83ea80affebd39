/**
 * The import rules of this repository, checked by `npm run lint:imports` (part of `npm test`, so CI too).
 * docs/architecture.md ("Layers") explains each rule; test/contract/architecture.test.ts keeps only what
 * an import graph cannot say (ports hold no code, one folder per function, no wall clock in the core).
 *
 * The layers, from the bottom: domain/contract → domain/core → adapters, cli → lambdas, lib, local →
 * bin, scripts; test/ may import anything.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-file-cycles',
      severity: 'error',
      comment: 'Two modules that import each other cannot be read, tested or moved apart.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      scope: 'folder',
      comment:
        'Folders point one way (lib → scripts → lib was one such pair): a folder cycle makes the layers meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-imports-only-the-domain',
      severity: 'error',
      comment:
        'domain/ is what the destination is: no adapter, function, CDK construct, script or CLI. ' +
        'Only pure packages: valibot (schemas), ajv (tracking plans), ml-matrix (the intent models).',
      from: { path: '^domain/' },
      to: {
        pathNot: ['^domain/', '^node_modules/(valibot|ajv|ml-matrix)/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'the-contract-depends-on-valibot-alone',
      severity: 'error',
      comment:
        'The contract is the one definition of what crosses a boundary; the core builds on it, never the reverse.',
      from: { path: '^domain/contract/' },
      to: { pathNot: ['^domain/contract/', '^node_modules/valibot/'] },
    },
    {
      name: 'domain-core-never-touches-io',
      severity: 'error',
      comment:
        'The core is pure: no file system, no network, no child processes (Node built-ins like node:crypto are fine).',
      from: { path: '^domain/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(fs|fs/promises|net|http|https|http2|child_process|dgram|cluster)$',
      },
    },
    {
      name: 'nothing-outside-scripts-imports-scripts',
      severity: 'error',
      comment:
        'scripts/ is the top of the graph: commands. What a function, the CDK app or the local server shares ' +
        'with a command belongs in domain/ (the cost model) or cli/ (the command kit).',
      from: { pathNot: ['^scripts/', '^test/'] },
      to: { path: '^scripts/' },
    },
    {
      name: 'lib-takes-no-code-of-the-functions',
      severity: 'error',
      comment:
        'The CDK app names the functions by their entry files and shares only the contract and pure computations ' +
        '(the cost model) with them; it never imports a handler, an adapter or the local server.',
      from: { path: '^lib/' },
      to: { path: '^(lambdas|adapters|local|cli|bin)/' },
    },
    {
      name: 'adapters-never-reach-into-a-function',
      severity: 'error',
      comment: 'Adapters serve the domain; a function composes them, never the other way round.',
      from: { path: '^adapters/' },
      to: { path: '^(lambdas|lib|local|cli|bin)/' },
    },
    {
      name: 'handlers-take-aws-through-ports',
      severity: 'error',
      comment:
        'A create-<name>-handler.ts is the function given its ports (domain/core/common/ports.ts and the ' +
        "others): it imports nothing from an AWS SDK package, not even a client's type. handler.ts, the " +
        'composition root, builds the adapters (adapters/aws) and hands them over.',
      from: { path: '^lambdas/[^/]+/create-[^/]+-handler\\.ts$' },
      to: { path: '^node_modules/(@aws-sdk|@aws-lambda-powertools/parameters)/' },
    },
    {
      name: 'functions-never-import-each-other',
      severity: 'error',
      comment:
        'Each folder under lambdas/ is one deployed bundle; shared code lives in domain/ or adapters/.',
      from: { path: '^lambdas/([^/]+)/' },
      to: { path: '^lambdas/', pathNot: '^lambdas/$1/' },
    },
    {
      name: 'the-cli-kit-is-a-leaf',
      severity: 'error',
      comment:
        'cli/ is the command kit (flags, usage, progress, tables) that bin/, local/ and scripts/ share.',
      from: { path: '^cli/' },
      to: { path: '^(lambdas|lib|local|bin|scripts|adapters)/' },
    },
    {
      name: 'no-test-code-in-the-product',
      severity: 'error',
      comment: 'Nothing the product runs imports test support.',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(cdk\\.out|coverage|test/load)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
