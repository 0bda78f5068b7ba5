//! Rendering build progress: a spinner per step on a terminal, one line
//! per step otherwise, one JSON object per event with
//! `--message-format json`.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::build::{Reporter, Step};

/// How messages are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    /// Progress for people on stderr, the result on stdout.
    #[default]
    Human,
    /// One JSON object per line on stdout, nothing else.
    Json,
}

/// The reporter the CLI hands the library.
pub enum Progress {
    /// Spinners on a terminal; the bar of the running step.
    Terminal(Option<ProgressBar>),
    /// A line when a step finishes, for logs and CI.
    Plain(Instant),
    Json,
}

impl Progress {
    pub fn new(format: MessageFormat) -> Progress {
        match format {
            MessageFormat::Json => Progress::Json,
            MessageFormat::Human if std::io::stderr().is_terminal() => Progress::Terminal(None),
            MessageFormat::Human => Progress::Plain(Instant::now()),
        }
    }
}

/// One event as JSON.
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
enum Event<'a> {
    Started {
        step: Step,
    },
    Output {
        step: Step,
        line: &'a str,
    },
    Finished {
        step: Step,
        summary: &'a str,
    },
    /// The run failed: the last event of a failed run, so that a program
    /// reading stdout alone learns why (the same text is on stderr).
    Failed {
        error: &'a str,
    },
}

fn print_json(event: &Event) {
    println!(
        "{}",
        serde_json::to_string(event).expect("events serialise")
    );
}

/// Ends a failed run: with `--message-format json` the error, with its
/// causes, as a `failed` event on stdout. People read it on stderr.
pub fn report_failure(format: MessageFormat, error: &anyhow::Error) {
    if format == MessageFormat::Json {
        print_json(&Event::Failed {
            error: &format!("{error:#}"),
        });
    }
}

impl Reporter for Progress {
    fn started(&mut self, step: Step) {
        match self {
            Progress::Terminal(bar) => {
                let spinner = ProgressBar::new_spinner().with_prefix(step.to_string());
                spinner.set_style(
                    ProgressStyle::with_template(
                        "{spinner:.cyan} {prefix:.bold} {elapsed:>3} {wide_msg:.dim}",
                    )
                    .expect("a valid template"),
                );
                spinner.enable_steady_tick(Duration::from_millis(100));
                *bar = Some(spinner);
            }
            Progress::Plain(started) => *started = Instant::now(),
            Progress::Json => print_json(&Event::Started { step }),
        }
    }

    fn output(&mut self, step: Step, line: &str) {
        match self {
            Progress::Terminal(Some(bar)) => bar.set_message(line.trim().to_owned()),
            Progress::Terminal(None) | Progress::Plain(_) => {}
            Progress::Json => print_json(&Event::Output { step, line }),
        }
    }

    fn finished(&mut self, step: Step, summary: &str) {
        match self {
            Progress::Terminal(bar) => {
                if let Some(bar) = bar.take() {
                    bar.set_style(
                        ProgressStyle::with_template("{prefix:.green.bold} {msg}")
                            .expect("a valid template"),
                    );
                    bar.finish_with_message(format!("{summary} ({:.1?})", bar.elapsed()));
                }
            }
            Progress::Plain(started) => {
                eprintln!("{step}: {summary} ({:.1?})", started.elapsed());
            }
            Progress::Json => print_json(&Event::Finished { step, summary }),
        }
    }
}

impl Drop for Progress {
    /// A failed step leaves its spinner running: clear it before the error.
    fn drop(&mut self) {
        if let Progress::Terminal(Some(bar)) = self {
            bar.finish_and_clear();
        }
    }
}
