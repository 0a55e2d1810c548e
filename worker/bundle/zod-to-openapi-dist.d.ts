// The package's ES module build, which worker/bundle/zod-to-openapi.ts imports by path: its types
// are the package's own (dist/index.d.ts), which TypeScript does not pair with an .mjs file.
declare module '*/@asteasolutions/zod-to-openapi/dist/index.mjs' {
  export * from '@asteasolutions/zod-to-openapi';
}
