# bats helpers for the factory's bash runner: run (with `run !` and `run -N`) and skip.
run() {
  local expect="" flags=$-
  case "$1" in
    '!') expect=nonzero; shift ;;
    -[0-9]*) expect=${1#-}; shift ;;
  esac
  [[ $1 == -- ]] && shift
  set +eE
  output=$("$@" 2>&1)
  status=$?
  [[ $flags == *e* ]] && set -e
  [[ $flags == *E* ]] && set -E
  lines=()
  [[ -n $output ]] && mapfile -t lines <<<"$output"
  if [[ $expect == nonzero && $status == 0 ]]; then
    echo "# expected a nonzero status from: $*" >&2
    return 1
  fi
  if [[ -n $expect && $expect != nonzero && $status != "$expect" ]]; then
    echo "# expected status $expect, got $status from: $*" >&2
    return 1
  fi
  return 0
}

# A skip the runner saw as a test's first command never runs; any other is not honoured.
skip() {
  echo "# skip is honoured only as a test's first command" >&2
  return 1
}
