<?php
// The factory's harness for PHP test programs: runs program.php (candidate + tests) inside a
// function of its own, so the program's code never shares this closure's variables (the secret,
// read once from fd 4, and the fd 3 channel), and reports the one test `program`.
// Usage: php php_harness.php

function __factory_run_program(string $__factory_file): void
{
    require $__factory_file;
}

(static function (): void {
    $in = fopen('php://fd/4', 'r');
    $secret = trim((string) fgets($in));
    fclose($in);
    $out = fopen('php://fd/3', 'w');
    $started = hrtime(true);
    $report = static function (string $outcome, string $message, ?string $type) use ($secret, $out, $started): void {
        $record = ['t' => 'program', 'o' => $outcome, 'm' => substr($message, 0, 4000),
                   'd' => (hrtime(true) - $started) / 1e9];
        if ($type !== null) {
            $record['e'] = $type;
        }
        $json = json_encode($record, JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR);
        fwrite($out, $secret . ' ' . $json . "\n" . $secret . ' {"end": 1}' . "\n");
        fflush($out);
    };
    try {
        __factory_run_program(__DIR__ . '/program.php');
    } catch (Throwable $error) {
        // Exceptions (MultiPL-E's `throw new Exception("Test failed!")`) and assert() are failures;
        // Error subclasses (TypeError, ParseError, ...) are errors.
        $failed = $error instanceof Exception || $error instanceof AssertionError;
        $text = get_class($error) . ': ' . $error->getMessage() . ' at ' . $error->getFile() . ':' . $error->getLine();
        $report($failed ? 'failed' : 'error', $text, $failed ? 'AssertionError' : get_class($error));
        exit(0);
    }
    $report('passed', '', null);
})();
