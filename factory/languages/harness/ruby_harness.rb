# The factory's harness for Ruby test programs: loads program.rb (candidate + tests), runs any
# Test::Unit / Minitest cases it defined, and reports the one test `program` on fd 3 behind the
# run's secret (read once from fd 4). Everything the report needs is captured in this block's
# locals before the program runs; they are not reachable from the program's top level.
# Usage: ruby ruby_harness.rb
require "json"

lambda do
  secret_in = IO.for_fd(4)
  secret = secret_in.gets.to_s.chomp.freeze
  secret_in.close
  channel = IO.for_fd(3, autoclose: false)
  write = channel.method(:syswrite)
  generate = JSON.method(:generate)
  leave = Kernel.method(:exit!)
  clock = Process.method(:clock_gettime)
  started = clock.call(Process::CLOCK_MONOTONIC)
  flush = lambda do
    [$stdout, $stderr].each do |io|
      io.flush
    rescue StandardError
      nil
    end
  end
  report = lambda do |outcome, message, error_type|
    record = { "t" => "program", "o" => outcome, "m" => String.new(message.to_s)[0, 4000],
               "d" => clock.call(Process::CLOCK_MONOTONIC) - started }
    record["e"] = error_type if error_type
    flush.call
    write.call("#{secret} #{generate.call(record)}\n")
    write.call("#{secret} #{generate.call({ "end" => 1 })}\n")
    leave.call(0)
  end
  failure = lambda do |error|
    name = error.class.name.to_s
    text = "#{name}: #{error.message}\n#{Array(error.backtrace).first(8).join("\n")}"
    failed = error.is_a?(RuntimeError) || name.include?("Assertion")
    report.call(failed ? "failed" : "error", text, failed ? "AssertionError" : name)
  end

  begin
    load File.expand_path("program.rb"), false
    if defined?(Test::Unit::AutoRunner)
      Test::Unit::AutoRunner.need_auto_run = false
      unless Test::Unit::AutoRunner.run
        report.call("failed", "Test::Unit reported failures (see the output)", "AssertionError")
      end
    end
    if defined?(Minitest) && Minitest.respond_to?(:run) && !Minitest.run([])
      report.call("failed", "Minitest reported failures (see the output)", "AssertionError")
    end
    report.call("passed", "", nil)
  rescue SystemExit => e
    flush.call
    leave.call(0) if e.success? # ended before its end: no closing line, so never a pass
    report.call("failed", "exit status #{e.status}", "AssertionError")
  rescue Exception => e # rubocop:disable Lint/RescueException
    failure.call(e)
  end
end.call
