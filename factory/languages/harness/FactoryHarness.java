// The factory's Java harness: `FactoryHarness native Class...` runs JUnit 5 test classes through
// the JUnit Platform Launcher and reports each test; `FactoryHarness program Class` calls a test
// program's main and reports the one test "program". The run's secret (fd 4) is read and the
// report channel (fd 3) opened before any class of the candidate or the tests loads, and both live
// only in a Reporter object that no static field holds, so code under test cannot reach them by
// reflection. After the closing line the JVM halts: no shutdown hook or thread of the candidate
// runs after it, and a candidate that calls System.exit never produces it.
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

final class FactoryHarness {
  private FactoryHarness() {}

  /** Writes the secret-led lines of fd 3; one per test, then the closing line. */
  private static final class Reporter {
    private static final int PIPE_BUF = 4096;
    private final String secret;
    private final FileOutputStream channel;
    private int count;

    Reporter(String secret, FileOutputStream channel) {
      this.secret = secret;
      this.channel = channel;
    }

    /**
     * One line in one write(2) of at most PIPE_BUF bytes, which a pipe never interleaves with
     * another writer's bytes; led by a newline, so that anything the candidate wrote to fd 3
     * without one ends there instead of running into (and spoiling) this line.
     */
    private synchronized boolean line(String record) {
      byte[] bytes = ("\n" + secret + " " + record + "\n").getBytes(StandardCharsets.UTF_8);
      if (bytes.length > PIPE_BUF) {
        return false;
      }
      try {
        channel.write(bytes);
        channel.flush();
      } catch (IOException e) {
        Runtime.getRuntime().halt(3);
      }
      return true;
    }

    synchronized void test(String name, String outcome, Throwable error, double seconds,
        String errorType) {
      count++;
      String message = error == null ? "" : describe(error);
      name = name.length() > 200 ? name.substring(0, 200) : name;
      errorType = errorType.length() > 200 ? errorType.substring(0, 200) : errorType;
      for (int keep = Math.min(message.length(), 2000); ; keep /= 2) {
        if (line("{\"t\": " + json(name) + ", \"o\": \"" + outcome + "\", \"m\": "
            + json(message.substring(0, keep)) + ", \"d\": " + seconds + ", \"e\": "
            + json(errorType) + "}") || keep == 0) {
          return;
        }
      }
    }

    /** Reports a thrown test: an AssertionError (any assertion library's) fails it. */
    void thrown(String name, Throwable error, double seconds) {
      String outcome = error instanceof AssertionError ? "failed" : "error";
      test(name, outcome, error, seconds, error.getClass().getSimpleName());
    }

    void end() {
      line("{\"end\": " + count + "}");
      Runtime.getRuntime().halt(0);
    }
  }

  private static String json(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.append('"').toString();
  }

  private static String describe(Throwable error) {
    StringWriter text = new StringWriter();
    try {
      error.printStackTrace(new PrintWriter(text));
    } catch (RuntimeException | StackOverflowError e) {  // a candidate's own toString may throw
      return error.getClass().getName();
    }
    return text.toString();
  }

  private static String readSecret() throws IOException {
    try (FileInputStream in = new FileInputStream("/proc/self/fd/4")) {
      byte[] buffer = new byte[256];
      int size = 0;
      for (int n; size < buffer.length && (n = in.read(buffer, size, buffer.length - size)) > 0; ) {
        size += n;
      }
      return new String(buffer, 0, size, StandardCharsets.UTF_8).split("\n")[0];
    }
  }

  private static double since(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  public static void main(String[] args) throws IOException {
    Reporter reporter = new Reporter(readSecret(), new FileOutputStream("/proc/self/fd/3"));
    if (args[0].equals("program")) {
      runProgram(reporter, args[1]);
    } else {
      runTests(reporter, args);
    }
    reporter.end();
  }

  private static void runProgram(Reporter reporter, String className) {
    long start = System.nanoTime();
    try {
      Class<?> program = Class.forName(className, false, FactoryHarness.class.getClassLoader());
      Method main = program.getDeclaredMethod("main", String[].class);
      main.setAccessible(true);  // MultiPL-E's main sits in a package-private class
      main.invoke(null, (Object) new String[0]);
      reporter.test("program", "passed", null, since(start), "");
    } catch (InvocationTargetException wrapped) {
      reporter.thrown("program", wrapped.getCause(), since(start));
    } catch (Throwable error) {  // e.g. the class's static initialiser threw
      reporter.thrown("program", error, since(start));
    }
  }

  private static void runTests(Reporter reporter, String[] args) {
    List<DiscoverySelector> selectors = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      selectors.add(selectClass(args[i]));  // loaded by JUnit: a failing initialiser is reported
    }
    LauncherDiscoveryRequest request =
        LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
    LauncherFactory.create().execute(request, new TestExecutionListener() {
      private long started = System.nanoTime();

      @Override
      public void executionStarted(TestIdentifier id) {
        started = System.nanoTime();
      }

      @Override
      public void executionSkipped(TestIdentifier id, String reason) {
        if (id.isTest()) {
          reporter.test(name(id), "skipped", null, 0.0, "");
        }
      }

      @Override
      public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        Throwable error = result.getThrowable().orElse(null);
        if (!id.isTest()) {
          if (error != null) {  // a class-level failure, e.g. its initialiser or @BeforeAll threw
            reporter.thrown(name(id), error, 0.0);
          }
          return;
        }
        double seconds = since(started);
        if (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
          reporter.test(name(id), "passed", null, seconds, "");
        } else if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
          // An assumption that the code under test could trigger on purpose: never a skip.
          reporter.test(name(id), "error", error, seconds, "TestAborted");
        } else if (error != null) {
          reporter.thrown(name(id), error, seconds);
        } else {
          reporter.test(name(id), "error", null, seconds, "Error");
        }
      }
    });
  }

  /** `method`, `Inner.method` for a @Nested class, `method[2]` for an invocation. */
  private static String name(TestIdentifier id) {
    MethodSource method = id.getSource()
        .filter(MethodSource.class::isInstance)
        .map(MethodSource.class::cast)
        .orElse(null);
    if (method == null) {
      return id.getDisplayName();
    }
    String owner = method.getClassName();
    String name = owner.contains("$")
        ? owner.substring(owner.lastIndexOf('$') + 1) + "." + method.getMethodName()
        : method.getMethodName();
    List<UniqueId.Segment> segments = UniqueId.parse(id.getUniqueId()).getSegments();
    UniqueId.Segment last = segments.get(segments.size() - 1);
    if (last.getValue().startsWith("#")) {  // test-template-invocation:#2, dynamic-test:#2
      name += "[" + last.getValue().substring(1) + "]";
    }
    return name;
  }
}
