// The factory's JavaScript harness: reads the run's secret before any candidate code runs, then
// loads candidate and tests as one CommonJS module (so tests see the candidate's functions), runs
// the registered tests one by one and reports each on fd 3. Usage: node js_harness.js MODE FILE
// (MODE native: test("name", fn) blocks; MODE program: the file's own top-level asserts).
"use strict";
const fs = require("fs");
const vm = require("vm");
const path = require("path");
const Module = require("module");

const secret = fs.readFileSync(4, "utf8").split("\n")[0];
fs.closeSync(4);
const writeSync = fs.writeSync;
const stringify = JSON.stringify;
const now = () => Number(process.hrtime.bigint()) / 1e9;
const exit = process.reallyExit ? process.reallyExit.bind(process) : process.exit.bind(process);
const report = (record) => writeSync(3, secret + " " + stringify(record) + "\n");

const [mode, file] = process.argv.slice(2);
const tests = [];
function test(name, optionsOrFn, maybeFn) {
  const fn = typeof optionsOrFn === "function" ? optionsOrFn : maybeFn;
  const skip = typeof optionsOrFn === "object" && optionsOrFn !== null && optionsOrFn.skip;
  tests.push({ name: String(name), fn, skip });
}
test.test = test;
test.it = test;
test.describe = (name, fn) => fn();
const assert = require("assert");
const shimmed = { "node:test": test, test: test };
const source = fs.readFileSync(file, "utf8");
const filename = path.resolve(file);
const mod = new Module(filename, null);
mod.filename = filename;
mod.paths = Module._nodeModulePaths(path.dirname(filename));
const baseRequire = Module.createRequire(filename);
const localRequire = (name) => (name in shimmed ? shimmed[name] : baseRequire(name));
// Given as globals, not parameters, so tests may still declare their own `const assert = ...`.
globalThis.test = test;
globalThis.it = test;
globalThis.describe = test.describe;
globalThis.assert = assert;

function message(error) {
  if (error && error.stack) return String(error.stack).slice(0, 4000);
  return String(error);
}

function kind(error) {
  return error && (error.code === "ERR_ASSERTION" || error.name === "AssertionError")
    ? "failed"
    : "error";
}

async function main() {
  const start = now();
  let wrapper;
  try {
    wrapper = vm.runInThisContext(
      "(function (exports, require, module, __filename, __dirname) {" + source + "\n})",
      { filename }
    );
  } catch (error) {
    // Code that does not parse: one errored test, so the verdict names it (never a failure).
    report({ t: "load", o: "error", m: message(error), d: 0, e: (error && error.name) || "Error" });
    report({ end: 1 });
    exit(0);
  }
  try {
    await wrapper.call(mod.exports, mod.exports, localRequire, mod, filename,
      path.dirname(filename));
  } catch (error) {
    if (mode === "program") {
      const outcome = kind(error);
      report({ t: "program", o: outcome, m: message(error), d: now() - start,
               e: outcome === "failed" ? "AssertionError" : (error && error.name) || "Error" });
      report({ end: 1 });
      exit(0);
    }
    process.stderr.write(message(error) + "\n");
    exit(1);
  }
  if (mode === "program") {
    report({ t: "program", o: "passed", m: "", d: now() - start });
    report({ end: 1 });
    exit(0);
  }
  for (const { name, fn, skip } of tests) {
    const started = now();
    if (skip || typeof fn !== "function") {
      report({ t: name, o: "skipped", m: "", d: 0 });
      continue;
    }
    try {
      await fn();
      report({ t: name, o: "passed", m: "", d: now() - started });
    } catch (error) {
      const outcome = kind(error);
      report({ t: name, o: outcome, m: message(error), d: now() - started,
               e: outcome === "failed" ? "AssertionError" : (error && error.name) || "Error" });
    }
  }
  report({ end: tests.length });
  exit(0);
}

main();
