// A suite's checks: each prints ok or FAIL with what it checked (and the
// detail of a failure); done prints the tally and exits non-zero on any
// failure.
export function checks(suite) {
  let failures = 0;
  const check = (ok, what, detail) => {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) {
      failures++;
      if (detail !== undefined) console.log('     ' + JSON.stringify(detail));
    }
    return ok;
  };
  const done = () => {
    console.log(failures === 0 ? `${suite}: all checks passed` : `${suite}: ${failures} checks failed`);
    process.exit(failures === 0 ? 0 : 1);
  };
  return { check, done };
}
