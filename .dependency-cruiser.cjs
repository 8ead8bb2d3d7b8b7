// The dependency linter (npm run lint:deps): no import cycle may cross a folder.
// Layers point down, so the folders and the imports between them must form a
// graph without cycles. The rule names no folder and no file: it holds for
// whatever the tree looks like, tests and benches included. A cycle between
// modules of one folder is that folder's own business and is not reported.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'Folder A imports from folder B and B, through any chain of folders, imports from A. '
        + 'Type-only imports count: they tie the layers together just the same.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    exclude: { path: '(^|/)(node_modules|dist)/' },
    // Only the project's own source files: Node's built-in modules are named like
    // folders (`net`, `stream`) and would otherwise count as folders of ours.
    includeOnly: { path: '\\.(ts|mts|js|mjs|cjs)$' },
    doNotFollow: { path: '(^|/)node_modules/' },
    // Counts `import type` and imports used only in types.
    tsPreCompilationDeps: true,
    // Resolve packages through their exports maps, so a package import is not mistaken for a missing file.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
