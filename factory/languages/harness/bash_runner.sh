# The factory's runner for bash tests: bats-style @test blocks (turned into functions by the
# plug-in) or a test program, each run in a subshell that holds neither the report channel (fd 3)
# nor the secret (read once from fd 4, unset there). Only this shell writes the report.
# Usage: bash bash_runner.sh native|program
IFS= read -r __factory_secret <&4
exec 4<&-
__factory_mode=$1
# The status a test's subshell ends with when it ran to its end; a candidate's plain `exit 0` is
# then an early exit, not a pass.
__factory_done=$((SRANDOM % 100 + 20))
__factory_count=0

__factory_json() {
  local LC_ALL=C s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//[$'\001'-$'\037']/}
  printf '"%s"' "$s"
}

__factory_micros() {
  local t=${EPOCHREALTIME/[.,]/}
  printf '%s' "${t#0}"
}

__factory_report() { # name outcome message start_micros [error_type]
  local micros=$(( $(__factory_micros) - $4 )) extra=""
  [[ -n $5 ]] && extra=", \"e\": $(__factory_json "$5")"
  printf '%s {"t": %s, "o": "%s", "m": %s, "d": %d.%06d%s}\n' "$__factory_secret" \
    "$(__factory_json "$1")" "$2" "$(__factory_json "$3")" $((micros / 1000000)) \
    $((micros % 1000000)) "$extra" >&3
  __factory_count=$((__factory_count + 1))
}

# Runs "$@" in a subshell without the channel; echoes its exit status. Its stderr also goes to
# a log whose tail becomes the failure message.
__factory_isolated() {
  local log=$HOME/factory_test.log
  (
    exec 3>&- 4>&-
    unset __factory_secret
    "$@"
  ) 2>"$log"
  local status=$?
  __factory_log=$(<"$log")
  [[ -n $__factory_log ]] && printf '%s\n' "$__factory_log" >&2
  ((${#__factory_log} > 2000)) && __factory_log=${__factory_log: -2000}
  return $status
}

__factory_native_test() { # index
  source ./bats_lib.sh
  source ./solution.sh
  source ./tests.sh
  set -eE
  trap '__factory_status=$?; echo "# failed (status $__factory_status): $BASH_COMMAND" >&2' ERR
  if declare -F setup >/dev/null; then setup; fi
  "__factory_test_$1"
  if declare -F teardown >/dev/null; then teardown; fi
  exit "$__factory_done"
}

__factory_program() {
  source ./solution.sh
  source ./tests.sh
  exit "$__factory_done"
}

__factory_end() {
  printf '%s {"end": %d}\n' "$__factory_secret" "$__factory_count" >&3
  exit 0
}

if [[ $__factory_mode == program ]]; then
  start=$(__factory_micros)
  __factory_isolated __factory_program
  status=$?
  if ((status == __factory_done)); then
    __factory_report program passed "" "$start"
  elif ((status == 0)); then
    exit 0 # exited before its end: no closing line, so never a pass
  else
    __factory_report program failed "exit status $status"$'\n'"$__factory_log" "$start"
  fi
  __factory_end
fi

source ./tests_index.sh # __factory_names=(...) __factory_skips=(...)
for i in "${!__factory_names[@]}"; do
  name=${__factory_names[i]}
  start=$(__factory_micros)
  if [[ ${__factory_skips[i]} == 1 ]]; then
    __factory_report "$name" skipped "" "$start"
    continue
  fi
  __factory_isolated __factory_native_test "$i"
  status=$?
  if ((status == __factory_done)); then
    __factory_report "$name" passed "" "$start"
  elif ((status == 0)); then
    __factory_report "$name" error "the test exited with status 0 before its end" "$start" EarlyExit
  else
    __factory_report "$name" failed "$__factory_log" "$start"
  fi
done
__factory_end
