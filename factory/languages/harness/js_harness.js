// The factory's harness for JavaScript (and transpiled TypeScript): runs FILE (candidate +
// tests, one CommonJS module body) and reports each test on fd 3 behind the run's secret, read
// once from fd 4. Usage: node js_harness.js native|program FILE
//
// Everything the report depends on is captured here before any program code runs, and lives only
// in this closure: the secret stays a Buffer (never a JS string), the program gets its own
// `require` and `module`, and the modules that could inspect this process (inspector, v8 heap
// snapshots, process.binding) are refused. A program that sets out to defeat this from inside the
// same process (reading /proc/self/mem, say) is beyond it: see the sandbox README.
"use strict";
(function factoryHarness() {
  const fs = require("fs");
  const vm = require("vm");
  const Module = require("module");
  const assertModule = require("assert");
  const writeSync = fs.writeSync;
  const readFileSync = fs.readFileSync;
  const closeSync = fs.closeSync;
  const stringify = JSON.stringify;
  const bufferFrom = Buffer.from.bind(Buffer);
  const bufferConcat = Buffer.concat.bind(Buffer);
  const now = performance.now.bind(performance);
  const exit = process.exit.bind(process);
  const on = process.on.bind(process);
  const create = Object.create;
  const freeze = Object.freeze;
  const defineProperty = Object.defineProperty;
  const compileFunction = vm.compileFunction;
  const originalLoad = Module._load;
  const PromiseCtor = Promise;
  const style = process.argv[2] === "program" ? "program" : "native";

  let secret = readFileSync(4);
  closeSync(4);
  const newline = secret.indexOf(10);
  if (newline >= 0) secret = secret.subarray(0, newline);
  const prefix = bufferConcat([secret, bufferFrom(" ")]);
  secret = null;

  function emit(record) {
    const line = bufferConcat([prefix, bufferFrom(stringify(record) + "\n")]);
    try {
      writeSync(3, line);
    } catch (_) {
      // The channel is gone (the program closed fd 3): the run then cannot complete.
    }
  }

  function text(value) {
    try {
      return typeof value === "string" ? value : "" + value;
    } catch (_) {
      return "(unprintable)";
    }
  }

  // failed for assertion errors (node:assert, chai-like), error (with its class name) otherwise.
  function describeError(error) {
    let name = "Error";
    let message = "";
    try {
      name = error && error.constructor && error.constructor.name ? text(error.constructor.name) : typeof error;
      message = error instanceof Error ? text(error.stack || error.message) : text(error);
    } catch (_) {
      message = "(unprintable error)";
    }
    const failed = name === "AssertionError" || (error && error.code === "ERR_ASSERTION");
    return { outcome: failed ? "failed" : "error", name, message: message.slice(0, 4000) };
  }

  let reported = 0;
  function report(name, outcome, message, seconds, errorType) {
    const record = create(null);
    record.t = text(name);
    record.o = outcome;
    record.m = text(message);
    record.d = seconds;
    if (errorType) record.e = text(errorType);
    emit(record);
    reported++;
  }

  function finish() {
    const record = create(null);
    record.end = reported;
    emit(record);
    exit(0);
  }

  // --- node:test-like registry ---------------------------------------------------------------
  const tests = [];
  const suites = [];
  const hooks = { before: [], after: [], beforeEach: [], afterEach: [] };
  let testCount = 0;

  function parseArgs(name, options, fn) {
    if (typeof name === "function") return { name: name.name || "test", options: {}, fn: name };
    if (typeof options === "function") return { name: text(name), options: {}, fn: options };
    return { name: text(name), options: options || {}, fn };
  }

  function register(kind, name, options, fn, extra) {
    const args = parseArgs(name, options, fn);
    const opts = Object.assign({}, args.options, extra || {});
    const prefixName = suites.length ? suites.join(" > ") + " > " : "";
    if (kind === "suite") {
      if (opts.skip || opts.todo) return;
      suites[suites.length] = args.name;
      try {
        if (typeof args.fn === "function") args.fn();
      } finally {
        suites.length = suites.length - 1;
      }
      return;
    }
    tests[testCount++] = {
      name: prefixName + args.name,
      fn: args.fn,
      skip: opts.skip || opts.todo,
      depth: suites.length,
    };
  }

  function makeRegistrar(kind, extra) {
    return function (name, options, fn) {
      register(kind, name, options, fn, extra);
    };
  }

  const testApi = makeRegistrar("test");
  testApi.test = testApi;
  testApi.it = makeRegistrar("test");
  testApi.describe = makeRegistrar("suite");
  testApi.suite = testApi.describe;
  for (const target of [testApi, testApi.it, testApi.describe]) {
    const kind = target === testApi.describe ? "suite" : "test";
    target.skip = makeRegistrar(kind, { skip: true });
    target.todo = makeRegistrar(kind, { todo: true });
    target.only = makeRegistrar(kind);
  }
  for (const hook of ["before", "after", "beforeEach", "afterEach"]) {
    testApi[hook] = function (fn) {
      hooks[hook][hooks[hook].length] = fn;
    };
  }
  defineProperty(testApi, "mock", { get: () => require("node:test").mock });
  freeze(testApi);

  class SkipSignal {}

  function callMaybeDone(fn, context) {
    if (typeof fn !== "function") return undefined;
    if (fn.length >= 2) {
      return new PromiseCtor((resolve, reject) => {
        fn(context, (error) => (error ? reject(error) : resolve()));
      });
    }
    return fn(context);
  }

  function makeContext(name) {
    return {
      name,
      signal: new AbortController().signal,
      skip() {
        throw new SkipSignal();
      },
      todo() {
        throw new SkipSignal();
      },
      diagnostic() {},
      plan() {},
      runOnly() {},
      async test(subName, options, fn) {
        const sub = parseArgs(subName, options, fn);
        if (sub.options.skip || sub.options.todo) return;
        await callMaybeDone(sub.fn, makeContext(name + " > " + sub.name));
      },
    };
  }

  // A test whose promise never settles empties the event loop: 'beforeExit' then ends it.
  let stalled = null;
  let current = null;
  on("beforeExit", () => {
    if (stalled) stalled();
  });
  function uncaught(error) {
    if (current) current(error);
    else if (style === "program") programFailed(error);
  }
  on("uncaughtException", uncaught);
  on("unhandledRejection", uncaught);

  async function runOne(test) {
    if (test.skip) {
      report(test.name, "skipped", "", 0);
      return;
    }
    const start = now();
    try {
      await new PromiseCtor((resolve, reject) => {
        current = reject;
        stalled = () => reject(new Error("the test's promise never settled"));
        (async () => {
          for (let i = 0; i < hooks.beforeEach.length; i++) await callMaybeDone(hooks.beforeEach[i]);
          await callMaybeDone(test.fn, makeContext(test.name));
          for (let i = 0; i < hooks.afterEach.length; i++) await callMaybeDone(hooks.afterEach[i]);
        })().then(resolve, reject);
      });
      report(test.name, "passed", "", (now() - start) / 1000);
    } catch (error) {
      if (error instanceof SkipSignal) {
        report(test.name, "skipped", "", (now() - start) / 1000);
      } else {
        const info = describeError(error);
        report(test.name, info.outcome, info.message, (now() - start) / 1000, info.name);
      }
    } finally {
      current = null;
      stalled = null;
    }
  }

  async function runAll() {
    try {
      for (let i = 0; i < hooks.before.length; i++) await callMaybeDone(hooks.before[i]);
    } catch (error) {
      const info = describeError(error);
      report("before", "error", info.message, 0, info.name);
      return finish();
    }
    for (let i = 0; i < testCount; i++) await runOne(tests[i]);
    try {
      for (let i = 0; i < hooks.after.length; i++) await callMaybeDone(hooks.after[i]);
    } catch (error) {
      const info = describeError(error);
      report("after", "error", info.message, 0, info.name);
    }
    finish();
  }

  // --- what the program sees -----------------------------------------------------------------
  const refused = new Set(["inspector", "node:inspector", "v8", "node:v8"]);
  freeze(assertModule);
  if (assertModule.strict) freeze(assertModule.strict);
  Module._load = function load(request, parent, isMain) {
    if (refused.has(request)) throw new Error(`module ${request} is not available in the sandbox`);
    if (request === "node:test" || request === "test") return testApi;
    return originalLoad.apply(this, arguments);
  };
  for (const name of ["binding", "_linkedBinding", "_debugProcess", "_debugEnd"]) {
    try {
      delete process[name];
    } catch (_) {
      // not deletable: nothing to hide
    }
  }
  for (const [name, value] of [
    ["test", testApi],
    ["it", testApi.it],
    ["describe", testApi.describe],
    ["assert", assertModule],
  ]) {
    if (style === "native") defineProperty(globalThis, name, { value, writable: false, configurable: false });
  }

  const started = now();
  let programDone = false;
  function programFailed(error) {
    if (programDone) return;
    programDone = true;
    const info = describeError(error);
    report("program", info.outcome, info.message, (now() - started) / 1000, info.name);
    finish();
  }

  const path = require("path");
  const file = path.resolve(process.argv[3] || "main.js");
  const source = readFileSync(file, "utf8");
  const programModule = { exports: {}, id: ".", filename: file, loaded: false, children: [], paths: [] };
  const programRequire = Module.createRequire(file);
  let body;
  try {
    body = compileFunction(source, ["exports", "require", "module", "__filename", "__dirname"], {
      filename: file,
    });
    body.call(programModule.exports, programModule.exports, programRequire, programModule, file, path.dirname(file));
  } catch (error) {
    if (style === "program") return programFailed(error);
    const info = describeError(error);
    report("program", "error", info.message, 0, info.name);
    return finish();
  }
  if (style === "program") {
    // Passed once the program's own pending work is done too: 'beforeExit' fires then.
    stalled = () => {
      if (programDone) return;
      programDone = true;
      report("program", "passed", "", (now() - started) / 1000);
      finish();
    };
    return;
  }
  runAll();
})();
