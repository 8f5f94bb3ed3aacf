# Runs INSIDE the sandbox (read as `sh -s -- [limits]` by check-toolchains.sh, cwd /tmp, env
# cleared to PATH=/usr/bin:/bin): for each toolchain, compile and run a hello world and one test
# in its native form, printing one line per step: name, address-space limit, exit status, wall
# time and peak resident memory. With "limits", each step is also retried under growing
# RLIMIT_AS values and the smallest that works is printed (min_as=...).
# Not part of the image recipe: changing it does not rebuild the image.
set -u
MODE=${1:-}
ONLY=${2:-}  # a section name (c, go, rust, java, node, sh, rb): only that one
cd /tmp || exit 1

cat >/tmp/m.py <<'EOF'
"""m.py NAME AS_MB CMD...: run CMD (AS_MB=0: no RLIMIT_AS); print status, time, peak RSS."""
import resource, subprocess, sys, time
name, limit, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def limit_as():
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit << 20, limit << 20))
start = time.monotonic()
try:
    p = subprocess.run(cmd, preexec_fn=limit_as, capture_output=True, text=True, timeout=60)
except subprocess.TimeoutExpired:  # node hangs (instead of failing) under a tight RLIMIT_AS
    print(f"{name:<22} as={limit or 'none':<5} hung for 60 s", flush=True)
    sys.exit(124)
took = time.monotonic() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(f"{name:<22} as={limit or 'none':<5} rc={p.returncode:<3} {took:6.2f}s rss={rss}MB  {(p.stdout.strip().splitlines() or [''])[-1][:40]}", flush=True)
if p.returncode and limit == 0:
    print("  | " + (p.stdout + p.stderr)[-800:].replace("\n", "\n  | "), flush=True)
sys.exit(p.returncode)
EOF

# step NAME CMD...: once without a limit; with "limits", then the smallest working RLIMIT_AS.
step() {
  name=$1
  shift
  [ -z "$ONLY" ] || [ "$ONLY" = "$SECTION" ] || return 0
  python3 /tmp/m.py "$name" 0 "$@" || return 1
  [ "$MODE" = limits ] || return 0
  for mb in 64 128 256 512 768 1024 1536 2048 3072 4096 8192 16384; do
    if python3 /tmp/m.py "$name" "$mb" "$@" >/tmp/last 2>&1; then
      echo "$name min_as=${mb}MB"
      return 0
    fi
  done
  echo "$name min_as=>16GB"
}

SECTION=c
echo "== c / c++"
mkdir -p /tmp/c && cd /tmp/c
printf '#include <stdio.h>\nint main(void){puts("hello c");return 0;}\n' >h.c
printf '#include <iostream>\nint main(){std::cout<<"hello c++"<<std::endl;}\n' >h.cpp
step gcc-compile /usr/bin/gcc -O2 -o h h.c
step c-run ./h
step g++-compile /usr/bin/g++ -O2 -std=c++17 -o hpp h.cpp
step c++-run ./hpp

SECTION=go
echo "== go"
mkdir -p /tmp/go/calc && cd /tmp/go/calc
printf 'module calc\n\ngo 1.19\n' >go.mod
printf 'package calc\n\nfunc Add(a, b int) int { return a + b }\n' >calc.go
cat >calc_test.go <<'EOF'
package calc

import "testing"

func TestAdd(t *testing.T) {
	if Add(2, 3) != 5 {
		t.Fatal("2+3")
	}
}
EOF
mkdir -p /tmp/go/hello && printf 'module hello\n\ngo 1.19\n' >/tmp/go/hello/go.mod
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello go") }\n' \
  >/tmp/go/hello/main.go
GOENV="HOME=/tmp GOCACHE=/tmp/gocache GOPATH=/tmp/gopath GOFLAGS=-mod=mod GOPROXY=off"
# shellcheck disable=SC2086
{
  step go-nohome-test /usr/bin/go test ./...
  step go-test-cold sh -c "rm -rf /tmp/gocache; cd /tmp/go/calc && env $GOENV /usr/bin/go test ./..."
  step go-test-warm sh -c "cd /tmp/go/calc && env $GOENV /usr/bin/go test -count=1 ./..."
  step go-test-novet-cold sh -c "rm -rf /tmp/gocache; cd /tmp/go/calc && env $GOENV /usr/bin/go test -vet=off ./..."
  step go-build-cold sh -c "rm -rf /tmp/gocache; cd /tmp/go/hello && env $GOENV /usr/bin/go build -o /tmp/go/h ."
  step go-build-warm sh -c "cd /tmp/go/hello && env $GOENV /usr/bin/go build -o /tmp/go/h ."
  step go-run /tmp/go/h
}

SECTION=rust
echo "== rust"
mkdir -p /tmp/rs && cd /tmp/rs
printf 'fn main() { println!("hello rust"); }\n' >h.rs
cat >t.rs <<'EOF'
pub fn add(a: i64, b: i64) -> i64 { a + b }
#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn adds() { assert_eq!(add(2, 3), 5); }
}
EOF
step rustc-nohome /usr/bin/rustc --edition 2021 -o h h.rs
step rustc-compile /usr/bin/rustc --edition 2021 -C opt-level=1 -o h h.rs
step rust-run ./h
step rustc-test-compile /usr/bin/rustc --edition 2021 --test -o t t.rs
step rust-test-run ./t --test-threads=1

SECTION=java
echo "== java"
mkdir -p /tmp/java && cd /tmp/java
JUNIT=/usr/share/java/junit-platform-console-standalone.jar
printf 'public class Hello { public static void main(String[] a) { System.out.println("hello java"); } }\n' >Hello.java
cat >CalcTest.java <<'EOF'
import static org.junit.jupiter.api.Assertions.assertEquals;
import org.junit.jupiter.api.Test;

class CalcTest {
    static int add(int a, int b) { return a + b; }
    @Test void adds() { assertEquals(5, add(2, 3)); }
}
EOF
step javac-hello /usr/bin/javac -d . Hello.java
step javac-hello-appcds /usr/bin/javac -J-Xshare:on \
  -J-XX:SharedArchiveFile=/usr/lib/jvm/factory-cds/javac.jsa -d . Hello.java
step java-hello /usr/bin/java -cp . Hello
step java-hello-noshare /usr/bin/java -Xshare:off -cp . Hello
step java-hello-small /usr/bin/java -Xmx256m -Xss1m -XX:ReservedCodeCacheSize=64m \
  -XX:CompressedClassSpaceSize=64m -XX:MaxMetaspaceSize=128m -XX:+UseSerialGC \
  -XX:TieredStopAtLevel=1 -cp . Hello
step javac-junit /usr/bin/javac -cp "$JUNIT" -d . CalcTest.java
step junit-run /usr/bin/java -jar "$JUNIT" --disable-banner --details=tree \
  --class-path . --select-class CalcTest
step javac-junit-appcds /usr/bin/javac -J-Xshare:on \
  -J-XX:SharedArchiveFile=/usr/lib/jvm/factory-cds/javac.jsa -cp "$JUNIT" -d . CalcTest.java
step junit-run-appcds /usr/bin/java -Xshare:on \
  -XX:SharedArchiveFile=/usr/lib/jvm/factory-cds/junit.jsa -XX:TieredStopAtLevel=1 \
  -XX:+UseSerialGC -Xmx256m -Xss1m -XX:ReservedCodeCacheSize=64m \
  -XX:CompressedClassSpaceSize=64m -XX:MaxMetaspaceSize=128m \
  -jar "$JUNIT" --disable-banner --details=tree --class-path . --select-class CalcTest
step junit-run-noshare /usr/bin/java -Xshare:off -jar "$JUNIT" --disable-banner \
  --details=none --class-path . --select-class CalcTest
step junit-run-small /usr/bin/java -Xmx256m -Xss1m -XX:ReservedCodeCacheSize=64m \
  -XX:CompressedClassSpaceSize=64m -XX:MaxMetaspaceSize=128m -XX:+UseSerialGC \
  -XX:TieredStopAtLevel=1 -jar "$JUNIT" --disable-banner --details=none \
  --class-path . --select-class CalcTest

SECTION=node
echo "== node / typescript"
mkdir -p /tmp/js && cd /tmp/js
printf 'console.log("hello node");\n' >h.js
cat >t.test.js <<'EOF'
const test = require("node:test");
const assert = require("node:assert");
const add = (a, b) => a + b;
test("adds", () => { assert.strictEqual(add(2, 3), 5); });
EOF
printf 'const n: number = 2 + 3;\nconsole.log(`hello ts ${n}`);\n' >h.ts
cat >tr.js <<'EOF'
const ts = require("typescript");
const fs = require("fs");
const out = ts.transpileModule(fs.readFileSync("h.ts", "utf8"), {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
});
fs.writeFileSync("h2.js", out.outputText);
EOF
step node-hello /usr/bin/node h.js
step node-test /usr/bin/node --test t.test.js
step tsc /usr/bin/tsc --target es2020 --module commonjs --strict --outDir out h.ts
step ts-run /usr/bin/node out/h.js
step ts-transpileModule /usr/bin/node tr.js
step ts-run2 /usr/bin/node h2.js

SECTION=sh
echo "== bats / sqlite3"
mkdir -p /tmp/sh && cd /tmp/sh
cat >t.bats <<'EOF'
add() { echo $(($1 + $2)); }
@test "adds" {
  run add 2 3
  [ "$status" -eq 0 ]
  [ "$output" = 5 ]
}
EOF
step bats /usr/bin/bats --tap t.bats
step sqlite3 /usr/bin/sqlite3 /tmp/sh/db.sqlite \
  "create table t(x); insert into t values (2),(3); select sum(x) from t;"

SECTION=rb
echo "== ruby / php"
mkdir -p /tmp/rb && cd /tmp/rb
cat >t_test.rb <<'EOF'
require "minitest/autorun"
def add(a, b) = a + b
class AddTest < Minitest::Test
  def test_adds = assert_equal(5, add(2, 3))
end
EOF
step ruby-hello /usr/bin/ruby -e 'puts "hello ruby"'
step ruby-minitest /usr/bin/ruby t_test.rb
step php-hello /usr/bin/php -r 'echo "hello php\n";'
echo "== done"
