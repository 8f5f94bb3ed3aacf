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
  const promiseThen = Function.prototype.call.bind(Promise.prototype.then);
  const isPromise = require("util").types.isPromise;
  const schedule = setImmediate;
  const assign = Object.assign;
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

  // A stack's frames inside this harness say nothing about the program.
  function withoutHarnessFrames(stack) {
    const lines = stack.split("\n");
    const kept = [];
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].indexOf(__filename) >= 0 || lines[i].indexOf("(node:internal") >= 0) break;
      kept[kept.length] = lines[i];
    }
    return kept.join("\n");
  }

  // failed for assertion errors (node:assert, chai-like), error (with its class name) otherwise.
  function describeError(error) {
    let name = "Error";
    let message = "";
    try {
      name = error && error.constructor && error.constructor.name ? text(error.constructor.name) : typeof error;
      message = error instanceof Error ? text(error.stack || error.message) : text(error);
      message = withoutHarnessFrames(message);
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
    const opts = assign({}, args.options, extra || {});
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

  // Settling a test never goes through anything the program could have patched (a candidate's
  // Promise.prototype.then must not turn a rejection into a pass): the intrinsic `then` on real
  // promises, and a step at a time through a captured setImmediate.
  function settle(value, done) {
    let called = false;
    const once = (error) => {
      if (called) return;
      called = true;
      done(error);
    };
    if (isPromise(value)) {
      try {
        promiseThen(value, () => once(null), (error) => once(error === undefined ? new Error("rejected") : error));
      } catch (error) {
        once(error);
      }
    } else if (value !== null && (typeof value === "object" || typeof value === "function") && typeof value.then === "function") {
      try {
        value.then(() => once(null), (error) => once(error === undefined ? new Error("rejected") : error));
      } catch (error) {
        once(error);
      }
    } else {
      once(null);
    }
    return once;
  }

  // Call a test or hook: plain, async, or (t, done) callback style; `done(error | null)`.
  function invoke(fn, context, done) {
    if (typeof fn !== "function") return done(null);
    let result;
    try {
      if (fn.length >= 2) {
        let finished = null;
        result = new PromiseCtor((resolve, reject) => {
          finished = (error) => (error ? reject(error) : resolve());
        });
        fn(context, finished);
      } else {
        result = fn(context);
      }
    } catch (error) {
      return done(error === undefined ? new Error("undefined thrown") : error);
    }
    settle(result, done);
  }

  function sequence(fns, context, done, index) {
    const i = index || 0;
    if (i >= fns.length) return done(null);
    invoke(fns[i], context, (error) => (error ? done(error) : sequence(fns, context, done, i + 1)));
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
      test(subName, options, fn) {
        const sub = parseArgs(subName, options, fn);
        return new PromiseCtor((resolve, reject) => {
          if (sub.options.skip || sub.options.todo) return resolve();
          invoke(sub.fn, makeContext(name + " > " + sub.name), (error) => (error ? reject(error) : resolve()));
        });
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
    else reportError("uncaught error between tests", error, 0);
  }
  on("uncaughtException", uncaught);
  on("unhandledRejection", uncaught);

  function runOne(index) {
    if (index >= testCount) {
      return sequence(hooks.after, undefined, (error) => {
        if (error) reportError("after", error, 0);
        finish();
      });
    }
    const test = tests[index];
    const next = () => schedule(() => runOne(index + 1));
    if (test.skip) {
      report(test.name, "skipped", "", 0);
      return next();
    }
    const start = now();
    let over = false;
    const done = (error) => {
      if (over) return;
      over = true;
      current = null;
      stalled = null;
      const seconds = (now() - start) / 1000;
      if (!error) report(test.name, "passed", "", seconds);
      else if (error instanceof SkipSignal) report(test.name, "skipped", "", seconds);
      else reportError(test.name, error, seconds);
      next();
    };
    current = done;
    stalled = () => done(new Error("the test's promise never settled"));
    sequence(hooks.beforeEach, undefined, (error) => {
      if (error) return done(error);
      invoke(test.fn, makeContext(test.name), (failure) => {
        if (failure) return done(failure);
        sequence(hooks.afterEach, undefined, done);
      });
    });
  }

  function reportError(name, error, seconds) {
    const info = describeError(error);
    report(name, info.outcome, info.message, seconds, info.name);
  }

  function runAll() {
    sequence(hooks.before, undefined, (error) => {
      if (error) {
        reportError("before", error, 0);
        return finish();
      }
      runOne(0);
    });
  }

  // --- what the program sees -----------------------------------------------------------------
  const refused = create(null);
  for (const name of ["inspector", "node:inspector", "v8", "node:v8"]) refused[name] = true;
  freeze(assertModule);
  if (assertModule.strict) freeze(assertModule.strict);
  Module._load = function load(request, parent, isMain) {
    if (typeof request === "string" && refused[request] === true) throw new Error(`module ${request} is not available in the sandbox`);
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
    reportError("program", error, 0);
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
