// Transpile one TypeScript file to CommonJS JavaScript with the typescript module (no type
// check: syntax only, in about a tenth of tsc's time). Exit 1 with the diagnostics on error.
"use strict";
const fs = require("fs");
const ts = require("typescript");
const [input, output] = process.argv.slice(2);
const source = fs.readFileSync(input, "utf8");
const result = ts.transpileModule(source, {
  compilerOptions: {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2020,
    // `import assert from "node:assert"` then means the module itself, as tests expect.
    esModuleInterop: true,
  },
  fileName: input,
  reportDiagnostics: true,
});
const errors = (result.diagnostics || []).filter(
  (d) => d.category === ts.DiagnosticCategory.Error
);
if (errors.length) {
  for (const d of errors) {
    const where = d.file && d.start !== undefined
      ? d.file.getLineAndCharacterOfPosition(d.start) : null;
    const at = where ? `${input}(${where.line + 1},${where.character + 1}): ` : "";
    process.stderr.write(at + "error TS" + d.code + ": " +
      ts.flattenDiagnosticMessageText(d.messageText, "\n") + "\n");
  }
  process.exit(1);
}
fs.writeFileSync(output, result.outputText);
