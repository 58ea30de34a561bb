// Builds kspec studio's page into ../static/ (committed: users and CI need no Node).
//   cd builder/studio/web && npm ci && npm run build
import {build} from "esbuild";
import {copyFileSync, statSync} from "node:fs";

const out = new URL("../static/", import.meta.url).pathname;
await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "eof",  // CodeMirror's MIT notices stay in the bundle
  outfile: out + "studio.js",
});
copyFileSync("index.html", out + "index.html");
copyFileSync("studio.css", out + "studio.css");
for (const f of ["studio.js", "studio.css", "index.html"]) {
  console.log(`${f}: ${(statSync(out + f).size / 1024).toFixed(1)} KB`);
}
