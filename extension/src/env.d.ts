/** crxjs: `import path from './file.ts?script'` builds a content script and gives its output path. */
declare module '*?script' {
  const path: string;
  export default path;
}
