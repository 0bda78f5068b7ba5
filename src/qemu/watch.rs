//! Judging a run by its console (`run --expect`, `--fail`): firmware such
//! as NuttX never ends QEMU, so the run ends when the console shows what
//! the caller waits for, or a sign of failure.
//!
//! The console arrives in chunks that split lines anywhere, so patterns
//! are matched on lines: the bytes after the last line end are kept and
//! matched again with the next chunk. Each complete line is matched
//! without its ending (`\n`, and a `\r` before it, as NuttX's serial
//! console sends `\r\n`). A line not yet ended is matched against the
//! `--expect` patterns once the console has been quiet for [`QUIET`]
//! ([`Watch::quiet`]), so that a prompt such as `nsh> `, which no line end
//! follows, can be expected (`$` therefore also matches where the output
//! pauses), while a line on its way is judged whole, so that the console
//! shows it whole; fail patterns always wait for the line's end (or the
//! end of the run, [`Watch::finish`]). A line longer than [`MAX_LINE`] is
//! matched by its last `MAX_LINE` bytes, so that endless output without a
//! line end cannot exhaust memory.

use regex::Regex;

/// The longest unfinished line kept for matching, in bytes.
pub const MAX_LINE: usize = 64 * 1024;

/// How long the console must stay silent before an unfinished line is
/// matched as it stands: far longer than QEMU takes between the bytes of
/// one line, short enough not to slow a run that ends at a prompt.
pub const QUIET: std::time::Duration = std::time::Duration::from_millis(200);

/// A set of fail patterns built into mcu-build (`--fail-default`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailDefault {
    // The patterns are NUTTX_FAIL_PATTERNS; the doc line is `--help`'s.
    /// NuttX's assertion and fault reports
    Nuttx,
    /// No built-in pattern
    None,
}

/// What NuttX prints when it fails, from its sources (master, 2026-08):
///
/// - `sched/misc/assert.c`, `dump_assert_info`: `Assertion failed %s: at
///   file: %s:%d task: ...` for every failed `ASSERT`/`DEBUGASSERT`,
///   `PANIC()` and unrecoverable fault (the fault handlers end in
///   `PANIC_WITH_REGS`, an assertion with the message `panic`); releases
///   before 12.x printed `Assertion failed at file:%s line: %d`, which the
///   same pattern matches.
/// - `arch/arm/src/armv7-m/` and `armv8-m/` `arm_hardfault.c`,
///   `arm_memfault.c`, `arm_busfault.c`, `arm_usagefault.c` (and ARMv8-M's
///   `arm_securefault.c`): `PANIC!!! Hard Fault!:`, `PANIC!!! Memory
///   Management Fault:`, `PANIC!!! Bus Fault:`, `PANIC!!! Usage Fault:`,
///   `PANIC!!! Secure Fault:`, with `CONFIG_DEBUG_*FAULT` set.
///
/// Neither is anchored: with `CONFIG_SYSLOG_TIMESTAMP` or a syslog prefix
/// the report does not start its line.
pub const NUTTX_FAIL_PATTERNS: [&str; 2] = [r"Assertion failed\b.*at file:", r"PANIC!!!"];

impl FailDefault {
    /// The set's patterns.
    pub fn patterns(self) -> &'static [&'static str] {
        match self {
            FailDefault::Nuttx => &NUTTX_FAIL_PATTERNS,
            FailDefault::None => &[],
        }
    }

    /// Its `--fail-default` value.
    fn name(self) -> &'static str {
        match self {
            FailDefault::Nuttx => "nuttx",
            FailDefault::None => "none",
        }
    }
}

/// A pattern that ends the run with a failure.
#[derive(Clone, Debug)]
pub struct FailPattern {
    pub regex: Regex,
    /// `None` for a `--fail` of the caller, else the built-in set it is from.
    pub default: Option<FailDefault>,
}

impl FailPattern {
    /// The built-in patterns of `set`.
    pub fn defaults(set: FailDefault) -> Vec<FailPattern> {
        set.patterns()
            .iter()
            .map(|pattern| FailPattern {
                regex: Regex::new(pattern).expect("the built-in patterns are valid"),
                default: Some(set),
            })
            .collect()
    }

    /// How messages name it: `--fail 'X'`, or the built-in set it is from.
    fn describe(&self) -> String {
        match self.default {
            None => format!("--fail '{}'", self.regex),
            Some(set) => format!(
                "the fail pattern '{}' of --fail-default {} (--fail-default none turns it off)",
                self.regex,
                set.name()
            ),
        }
    }
}

/// How the console decided the run.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every `--expect` matched; `line` is the one that matched last.
    Passed { line: String },
    /// A fail pattern matched `line`; `pattern` says which.
    Failed { pattern: String, line: String },
}

/// The patterns and the line being assembled.
#[derive(Debug)]
pub struct Watch {
    expect: Vec<Regex>,
    /// Which of `expect` have matched a line so far.
    seen: Vec<bool>,
    fail: Vec<FailPattern>,
    /// The bytes after the last line end.
    line: Vec<u8>,
}

impl Watch {
    pub fn new(expect: Vec<Regex>, fail: Vec<FailPattern>) -> Self {
        Watch {
            seen: vec![false; expect.len()],
            expect,
            fail,
            line: Vec::new(),
        }
    }

    /// Whether the run waits for an `--expect`: then only the console
    /// passes it, and a firmware exit before the match is a failure.
    pub fn expects(&self) -> bool {
        !self.expect.is_empty()
    }

    /// The `--expect` patterns no line has matched yet, as messages name
    /// them: `--expect 'X', --expect 'Y'`.
    pub fn missing(&self) -> String {
        self.expect
            .iter()
            .zip(&self.seen)
            .filter(|(_, seen)| !**seen)
            .map(|(regex, _)| format!("--expect '{regex}'"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Matches the lines `chunk` ends; returns the verdict of the first
    /// line that decides the run. A line that matches a fail pattern fails
    /// the run even if it also matches an `--expect`.
    pub fn feed(&mut self, chunk: &[u8]) -> Option<Verdict> {
        if !self.expects() && self.fail.is_empty() {
            return None;
        }
        let mut rest = chunk;
        while let Some(end) = memchr::memchr(b'\n', rest) {
            self.line.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            let line = std::mem::take(&mut self.line);
            let text = line.strip_suffix(b"\r").unwrap_or(&line);
            if let Some(verdict) = self.judge(text, true) {
                return Some(verdict);
            }
        }
        self.line.extend_from_slice(rest);
        if self.line.len() > MAX_LINE {
            self.line.drain(..self.line.len() - MAX_LINE);
        }
        None
    }

    /// Whether [`Watch::quiet`] could pass the run: it waits for an
    /// `--expect` and a line is unfinished.
    pub fn has_unfinished_line(&self) -> bool {
        self.expects() && !self.line.is_empty()
    }

    /// The console has been quiet for [`QUIET`]: matches the unfinished
    /// line against the `--expect` patterns (a prompt).
    pub fn quiet(&mut self) -> Option<Verdict> {
        self.judge_unfinished(false)
    }

    /// Judges the line left unfinished when the console ends (QEMU exited
    /// or the time ran out) as a whole line.
    pub fn finish(&mut self) -> Option<Verdict> {
        self.judge_unfinished(true)
    }

    fn judge_unfinished(&mut self, as_whole: bool) -> Option<Verdict> {
        if self.line.is_empty() {
            return None;
        }
        let line = std::mem::take(&mut self.line);
        let verdict = self.judge(&line, as_whole);
        self.line = line;
        verdict
    }

    /// The verdict of one line, if it gives one; marks the `--expect`
    /// patterns it matches as seen. Fail patterns only judge `whole` lines.
    fn judge(&mut self, line: &[u8], whole: bool) -> Option<Verdict> {
        let text = String::from_utf8_lossy(line);
        let failed = whole
            .then(|| self.fail.iter().find(|p| p.regex.is_match(&text)))
            .flatten();
        if let Some(pattern) = failed {
            return Some(Verdict::Failed {
                pattern: pattern.describe(),
                line: text.into_owned(),
            });
        }
        let mut matched = false;
        for (regex, seen) in self.expect.iter().zip(&mut self.seen) {
            if regex.is_match(&text) {
                *seen = true;
                matched = true;
            }
        }
        (matched && self.seen.iter().all(|&seen| seen)).then(|| Verdict::Passed {
            line: text.into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(expect: &[&str], fail: &[&str], default: FailDefault) -> Watch {
        let mut patterns: Vec<FailPattern> = fail
            .iter()
            .map(|f| FailPattern {
                regex: Regex::new(f).unwrap(),
                default: None,
            })
            .collect();
        patterns.extend(FailPattern::defaults(default));
        Watch::new(
            expect.iter().map(|e| Regex::new(e).unwrap()).collect(),
            patterns,
        )
    }

    fn passed(line: &str) -> Option<Verdict> {
        Some(Verdict::Passed {
            line: line.to_owned(),
        })
    }

    #[test]
    fn an_expected_line_passes_the_run_once_it_has_come() {
        let mut w = watch(&["Exiting with status 0"], &[], FailDefault::None);
        assert_eq!(w.feed(b"ostest_main: Exiting with status 1\r\n"), None);
        assert_eq!(
            w.feed(b"boot\r\nostest_main: Exiting with status 0\r\nafter\r\n"),
            passed("ostest_main: Exiting with status 0")
        );
    }

    #[test]
    fn a_match_split_over_any_two_chunks_is_found() {
        let line = "ostest_main: Exiting with status 0";
        let console = format!("nsh> ostest\r\n{line}\r\n");
        for split in 1..console.len() {
            let mut w = watch(
                &["^ostest_main: Exiting with status 0$"],
                &[],
                FailDefault::None,
            );
            let (a, b) = console.as_bytes().split_at(split);
            let verdict = w.feed(a).or_else(|| w.feed(b));
            assert_eq!(verdict, passed(line), "split at {split}");
        }
        // One byte at a time.
        let mut w = watch(&["Exiting with status 0"], &[], FailDefault::None);
        let verdict = console.as_bytes().chunks(1).find_map(|byte| w.feed(byte));
        assert!(verdict.is_some());
    }

    #[test]
    fn an_unfinished_line_such_as_a_prompt_can_be_expected() {
        let mut w = watch(&["^nsh> $"], &[], FailDefault::None);
        assert_eq!(w.feed(b"NuttShell (NSH)\r\nns"), None);
        assert!(w.has_unfinished_line());
        assert_eq!(w.quiet(), None);
        assert_eq!(w.feed(b"h> "), None);
        assert_eq!(w.quiet(), passed("nsh> "));
        // A line on its way is judged whole once it ends.
        let mut w = watch(&["status 0"], &[], FailDefault::None);
        assert_eq!(w.feed(b"exit status 0"), None);
        assert_eq!(w.feed(b"0\r\n"), passed("exit status 00"));
    }

    #[test]
    fn every_expect_must_match_some_line() {
        let mut w = watch(&["first", "second"], &[], FailDefault::None);
        assert_eq!(w.feed(b"the second\n"), None);
        assert_eq!(w.missing(), "--expect 'first'");
        assert_eq!(w.feed(b"the first\n"), passed("the first"));
    }

    #[test]
    fn nuttx_assertions_and_fault_reports_fail_the_run_by_default() {
        let lines = [
            "[    1.230000] Assertion failed panic: at file: armv7-m/arm_memfault.c:138 task: \
             ostest process: ostest 0x80412d",
            "Assertion failed : at file: semaphore/sem_wait.c:93 task(CPU0): init process: \
             Kernel 0x0",
            "up_assert: Assertion failed at file:mm_heap/mm_free.c line: 112 task: ostest",
            "PANIC!!! Memory Management Fault:",
            "PANIC!!! Hard Fault!:\tIRQ: 3 regs: 0x20003f2c",
        ];
        for line in lines {
            let mut w = watch(&["Exiting with status 0"], &[], FailDefault::Nuttx);
            match w.feed(format!("{line}\r\n").as_bytes()) {
                Some(Verdict::Failed { pattern, line: got }) => {
                    assert!(pattern.contains("--fail-default nuttx"), "{pattern}");
                    assert_eq!(got, line);
                }
                other => panic!("{line}: {other:?}"),
            }
        }
        let mut w = watch(&["Exiting with status 0"], &[], FailDefault::Nuttx);
        assert_eq!(
            w.feed(b"user_main: assertion test (Assertion failed is expected)\r\n"),
            None
        );
    }

    #[test]
    fn a_fail_pattern_waits_for_the_whole_line() {
        let mut w = watch(&[], &["user fault"], FailDefault::None);
        assert_eq!(w.feed(b"kernel: user fault: MemMan"), None);
        let failed = Some(Verdict::Failed {
            pattern: "--fail 'user fault'".to_owned(),
            line: "kernel: user fault: MemManage".to_owned(),
        });
        assert_eq!(w.feed(b"age\r\nkernel: next"), failed);
        let mut w = watch(&[], &["user fault"], FailDefault::None);
        assert_eq!(w.feed(b"kernel: user fault: MemManage"), None);
        assert_eq!(w.finish(), failed);
    }

    #[test]
    fn a_fail_pattern_wins_over_an_expect_on_the_same_line() {
        let mut w = watch(&["status"], &["status 1"], FailDefault::None);
        assert_eq!(
            w.feed(b"exit status 1\n"),
            Some(Verdict::Failed {
                pattern: "--fail 'status 1'".to_owned(),
                line: "exit status 1".to_owned()
            })
        );
    }

    #[test]
    fn an_endless_line_keeps_only_its_tail() {
        let mut w = watch(&["never"], &[], FailDefault::None);
        for _ in 0..10 {
            assert_eq!(w.feed(&[b'x'; MAX_LINE / 2]), None);
        }
        assert_eq!(w.line.len(), MAX_LINE);
        assert_eq!(
            w.feed(b"never\n"),
            passed(&format!("{}never", "x".repeat(MAX_LINE)))
        );
    }
}
