// The factory's Java harness. It reads the run's secret (fd 4) and opens the report channel
// (fd 3) before any class of the candidate or the tests is loaded, then either runs a JUnit 5
// test class through the JUnit Platform Launcher, reporting each test, or ("program") calls a
// test program's main and reports the one test "program". After the closing line it halts the
// JVM, so no shutdown hook of the candidate runs after it; a candidate that calls System.exit
// never produces that line.
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

public final class FactoryHarness {
  private static String secret;
  private static FileOutputStream channel;

  private static String json(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.append('"').toString();
  }

  private static synchronized void line(String record) {
    try {
      channel.write((secret + " " + record + "\n").getBytes(StandardCharsets.UTF_8));
      channel.flush();
    } catch (Exception e) {
      Runtime.getRuntime().halt(3);
    }
  }

  private static void report(String name, String outcome, String message, double seconds,
      String errorType) {
    if (message.length() > 4000) message = message.substring(0, 4000);
    line("{\"t\": " + json(name) + ", \"o\": \"" + outcome + "\", \"m\": " + json(message)
        + ", \"d\": " + seconds + ", \"e\": " + json(errorType) + "}");
  }

  private static String describe(Throwable error) {
    StringWriter text = new StringWriter();
    error.printStackTrace(new PrintWriter(text));
    return text.toString();
  }

  private static boolean isAssertion(Throwable error) {
    for (Class<?> k = error.getClass(); k != null; k = k.getSuperclass()) {
      if (k == AssertionError.class || k.getName().equals("org.opentest4j.AssertionFailedError")) {
        return true;
      }
    }
    return false;
  }

  public static void main(String[] args) throws Exception {
    try (FileInputStream in = new FileInputStream("/proc/self/fd/4")) {
      byte[] buffer = new byte[256];
      int size = 0;
      for (int n; size < buffer.length && (n = in.read(buffer, size, buffer.length - size)) > 0; ) {
        size += n;
      }
      secret = new String(buffer, 0, size, StandardCharsets.UTF_8).split("\n")[0];
    }
    channel = new FileOutputStream("/proc/self/fd/3");
    String mode = args[0];
    String className = args[1];
    if (mode.equals("program")) {
      long start = System.nanoTime();
      try {
        Class.forName(className).getMethod("main", String[].class)
            .invoke(null, (Object) new String[0]);
        report("program", "passed", "", (System.nanoTime() - start) / 1e9, "");
      } catch (InvocationTargetException wrapped) {
        Throwable error = wrapped.getCause();
        boolean failed = isAssertion(error);
        report("program", failed ? "failed" : "error", describe(error),
            (System.nanoTime() - start) / 1e9, error.getClass().getSimpleName());
      }
      line("{\"end\": 1}");
      Runtime.getRuntime().halt(0);
    }
    int[] count = {0};
    long[] started = {System.nanoTime()};
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
        .selectors(selectClass(Class.forName(className)))
        .build();
    Launcher launcher = LauncherFactory.create();
    launcher.execute(request, new TestExecutionListener() {
      private String name(TestIdentifier id) {
        return id.getSource()
            .filter(MethodSource.class::isInstance)
            .map(source -> ((MethodSource) source).getMethodName())
            .orElse(id.getDisplayName());
      }

      @Override
      public void executionStarted(TestIdentifier id) {
        started[0] = System.nanoTime();
      }

      @Override
      public void executionSkipped(TestIdentifier id, String reason) {
        if (id.isTest()) {
          count[0]++;
          report(name(id), "skipped", reason == null ? "" : reason, 0.0, "");
        }
      }

      @Override
      public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        double seconds = (System.nanoTime() - started[0]) / 1e9;
        Throwable error = result.getThrowable().orElse(null);
        if (!id.isTest()) {
          if (error != null) {  // a class-level failure (e.g. its initialiser threw)
            count[0]++;
            report(name(id), "error", describe(error), 0.0, error.getClass().getSimpleName());
          }
          return;
        }
        count[0]++;
        switch (result.getStatus()) {
          case SUCCESSFUL:
            report(name(id), "passed", "", seconds, "");
            break;
          case ABORTED:  // an assumption the code under test can trigger: never a skip
            report(name(id), "error", error == null ? "" : describe(error), seconds,
                "TestAborted");
            break;
          default:
            boolean failed = error != null && isAssertion(error);
            report(name(id), failed ? "failed" : "error",
                error == null ? "" : describe(error), seconds,
                error == null ? "Error" : error.getClass().getSimpleName());
        }
      }
    });
    line("{\"end\": " + count[0] + "}");
    Runtime.getRuntime().halt(0);
  }
}
