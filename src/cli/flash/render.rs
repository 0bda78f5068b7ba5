//! Rendering `flash`: the checks, the progress of each operation and the
//! result. On a terminal, an indicatif bar per operation (bytes, rate,
//! ETA); otherwise a line when an operation begins and ends; with
//! `--message-format json`, one JSON object per event on stdout.
//!
//! The library's [`Tracker`](crate::flash::progress::Tracker) guarantees
//! each operation `Begin`s before it advances and `End`s once, but the
//! renderer still treats an event for a bar it does not have as a new bar:
//! drawing must never be the reason a flash fails.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde::Serialize;

use super::super::progress::MessageFormat;
use crate::flash::prepare::Prepared;
use crate::flash::progress::{Ending, FlashEvent, FlashReporter, Operation};
use crate::image::file::InputSpec;

/// Where the output goes.
enum Mode {
    Terminal(MultiProgress),
    Plain,
    Json,
}

/// The reporter `flash` hands the library.
pub struct Renderer {
    mode: Mode,
    bars: HashMap<Operation, (ProgressBar, Instant)>,
}

fn print_json(value: &impl Serialize) {
    println!(
        "{}",
        serde_json::to_string(value).expect("flash events serialise")
    );
}

/// The check report as one JSON line.
#[derive(Serialize)]
#[serde(tag = "event", rename = "checks")]
struct Checks<'a> {
    image: String,
    chip: &'a str,
    board: Option<&'a str>,
    checks: &'a [crate::flash::safety::Check],
}

impl Renderer {
    pub fn new(format: MessageFormat) -> Renderer {
        let mode = match format {
            MessageFormat::Json => Mode::Json,
            MessageFormat::Human if std::io::stderr().is_terminal() => {
                Mode::Terminal(MultiProgress::new())
            }
            MessageFormat::Human => Mode::Plain,
        };
        Renderer {
            mode,
            bars: HashMap::new(),
        }
    }

    /// What is about to be flashed, and the checks.
    pub fn report(&mut self, image: &InputSpec, prepared: &Prepared) {
        let board = prepared.board.as_ref().map(|b| b.name.as_str());
        if let Mode::Json = self.mode {
            print_json(&Checks {
                image: image.to_string(),
                chip: &prepared.chip.name,
                board,
                checks: &prepared.report.checks,
            });
            return;
        }
        let image_info = &prepared.file.image;
        print!(
            "image  {image} ({}, {} bytes in {} segment(s))\nchip   {}{}\n{}",
            prepared.file.format,
            image_info.total_size(),
            image_info.segments().len(),
            prepared.chip.name,
            board.map_or(String::new(), |b| format!(" (board {b})")),
            super::render_report(&prepared.report)
        );
    }

    /// The final result.
    pub fn result(&mut self, result: &impl Serialize) {
        if let Mode::Json = self.mode {
            print_json(result);
        }
    }

    fn line(&self, text: &str) {
        match &self.mode {
            Mode::Terminal(multi) => {
                // A hidden or closed terminal is no reason to fail a flash.
                let _ = multi.println(text);
            }
            Mode::Plain => eprintln!("{text}"),
            Mode::Json => {}
        }
    }

    fn bar(&mut self, operation: Operation, total: Option<u64>) -> Option<&ProgressBar> {
        let Mode::Terminal(multi) = &self.mode else {
            return None;
        };
        let entry = self.bars.entry(operation).or_insert_with(|| {
            let bar = multi.add(match total {
                Some(total) => ProgressBar::new(total),
                None => ProgressBar::no_length(),
            });
            bar.set_style(style(total.is_some()));
            bar.set_prefix(operation.to_string());
            bar.enable_steady_tick(Duration::from_millis(100));
            (bar, Instant::now())
        });
        Some(&entry.0)
    }
}

fn style(known_total: bool) -> ProgressStyle {
    let template = if known_total {
        "{prefix:>9.bold} [{bar:30.cyan/blue}] {bytes:>10}/{total_bytes:<10} {binary_bytes_per_sec:>12} ETA {eta}"
    } else {
        "{prefix:>9.bold} {spinner:.cyan} {bytes:>10} {binary_bytes_per_sec:>12}"
    };
    ProgressStyle::with_template(template)
        .expect("a valid template")
        .progress_chars("=> ")
}

fn rate(bytes: u64, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    if seconds <= 0.0 {
        return String::new();
    }
    format!(", {:.1} KiB/s", bytes as f64 / 1024.0 / seconds)
}

impl FlashReporter for Renderer {
    fn event(&mut self, event: FlashEvent) {
        if let Mode::Json = self.mode {
            print_json(&event);
            return;
        }
        match event {
            FlashEvent::Attached { probe, chip } => {
                self.line(&format!("attached to {chip} through {probe}"))
            }
            FlashEvent::Message { text } => self.line(&format!("flash algorithm: {text}")),
            FlashEvent::Begin { operation, total } => {
                if let Mode::Plain = self.mode {
                    let size = total.map_or("size unknown".to_owned(), |t| format!("{t} bytes"));
                    eprintln!("{operation}: {size}");
                    self.bars
                        .insert(operation, (ProgressBar::hidden(), Instant::now()));
                }
                self.bar(operation, total);
            }
            FlashEvent::Total { operation, total } => {
                if let Some(bar) = self.bar(operation, Some(total)) {
                    bar.set_length(total);
                    bar.set_style(style(true));
                }
            }
            FlashEvent::Advance {
                operation,
                done,
                total,
            } => {
                if let Some(bar) = self.bar(operation, total) {
                    bar.set_position(done);
                }
            }
            FlashEvent::End {
                operation,
                ending,
                done,
            } => {
                let started = self.bars.remove(&operation).map(|(bar, started)| {
                    match ending {
                        Ending::Finished => bar.finish(),
                        Ending::Failed | Ending::Abandoned => bar.abandon(),
                    }
                    started
                });
                if let Mode::Plain = self.mode {
                    let elapsed = started.map_or(Duration::ZERO, |s| s.elapsed());
                    let ending = match ending {
                        Ending::Finished => "done",
                        Ending::Failed => "FAILED",
                        Ending::Abandoned => "not completed",
                    };
                    eprintln!(
                        "{operation}: {ending}, {done} bytes in {elapsed:.1?}{}",
                        rate(done, elapsed)
                    );
                }
            }
        }
    }
}
