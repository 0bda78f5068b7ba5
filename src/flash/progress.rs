//! probe-rs's flash progress events, turned into a well-formed sequence of
//! bars for a reporter.
//!
//! probe-rs reports progress per *operation* (erase, program, verify, and
//! fill: reading back sectors to restore the bytes a partial update keeps),
//! but announces one bar per operation *and flash algorithm*: a chip with
//! two flash banks or an OTP area gets two `AddProgressBar { Erase }`, and
//! then `Started`/`Finished` per algorithm. It also sends events for
//! operations it never announced (a chip erase, a dry run's `Failed`
//! events). A renderer fed that directly draws duplicate bars, finishes a
//! bar halfway, or indexes a bar that does not exist.
//!
//! The [`Tracker`] keeps one bar per operation: further announcements add
//! to its total, an unannounced operation gets a bar of unknown size when
//! it first shows up, and a bar ends only once its bytes are done (or at
//! [`Tracker::close`], after `commit` returned). The reporter thus sees, for
//! each operation, `Begin`, any number of `Total` and `Advance`, then
//! exactly one `End`; and after `close`, every bar has ended: finished,
//! failed or abandoned.

use probe_rs::flashing::{ProgressEvent, ProgressOperation};
use serde::Serialize;

/// A flash operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    Erase,
    Program,
    Verify,
    /// Reading back sectors to keep their unwritten bytes.
    Fill,
}

impl Operation {
    const ALL: [Operation; 4] = [
        Operation::Fill,
        Operation::Erase,
        Operation::Program,
        Operation::Verify,
    ];

    fn index(self) -> usize {
        match self {
            Operation::Fill => 0,
            Operation::Erase => 1,
            Operation::Program => 2,
            Operation::Verify => 3,
        }
    }
}

impl From<ProgressOperation> for Operation {
    fn from(operation: ProgressOperation) -> Operation {
        match operation {
            ProgressOperation::Fill => Operation::Fill,
            ProgressOperation::Erase => Operation::Erase,
            ProgressOperation::Program => Operation::Program,
            ProgressOperation::Verify => Operation::Verify,
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Operation::Erase => "erase",
            Operation::Program => "program",
            Operation::Verify => "verify",
            Operation::Fill => "read back",
        })
    }
}

/// How a bar ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    Finished,
    Failed,
    /// Announced or started, but the flash ended without it finishing
    /// (another operation failed, or probe-rs skipped it).
    Abandoned,
}

/// What a reporter hears while a chip is programmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum FlashEvent {
    /// The probe is attached to the chip.
    Attached { probe: String, chip: String },
    /// A bar begins; `total` bytes when known.
    Begin {
        operation: Operation,
        total: Option<u64>,
    },
    /// The bar's total grew: probe-rs announced another flash algorithm's
    /// share, or did more than it announced.
    Total { operation: Operation, total: u64 },
    /// `done` bytes of the operation are done.
    Advance {
        operation: Operation,
        done: u64,
        total: Option<u64>,
    },
    /// The bar ends, `done` bytes done.
    End {
        operation: Operation,
        ending: Ending,
        done: u64,
    },
    /// A message of the flash algorithm running on the chip.
    Message { text: String },
}

/// Receives the events of a flash. The CLI renders them as bars, lines or
/// JSON.
pub trait FlashReporter {
    fn event(&mut self, event: FlashEvent);
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    /// No bar.
    #[default]
    Idle,
    /// The bar is shown.
    Open,
}

#[derive(Clone, Copy, Debug, Default)]
struct Bar {
    state: State,
    /// `None` while any announcement had no size.
    total: Option<u64>,
    done: u64,
    /// probe-rs said `Finished` since the last `Started`: the bar ends when
    /// its bytes are done, or at `close`.
    finished: bool,
}

/// Turns probe-rs events into [`FlashEvent`]s for `reporter`.
pub struct Tracker<'r> {
    reporter: &'r mut dyn FlashReporter,
    bars: [Bar; 4],
}

impl<'r> Tracker<'r> {
    pub fn new(reporter: &'r mut dyn FlashReporter) -> Tracker<'r> {
        Tracker {
            reporter,
            bars: [Bar::default(); 4],
        }
    }

    /// Passes an event that is not about progress through.
    pub fn report(&mut self, event: FlashEvent) {
        self.reporter.event(event);
    }

    /// Handles one probe-rs event; any sequence is accepted.
    pub fn handle(&mut self, event: ProgressEvent) {
        match event {
            ProgressEvent::FlashLayoutReady { .. } => {}
            ProgressEvent::AddProgressBar { operation, total } => {
                self.announce(operation.into(), total)
            }
            ProgressEvent::Started(operation) => {
                let operation = Operation::from(operation);
                self.open(operation);
                self.bars[operation.index()].finished = false;
            }
            ProgressEvent::Progress {
                operation, size, ..
            } => self.advance(operation.into(), size),
            ProgressEvent::Finished(operation) => self.finish(operation.into()),
            ProgressEvent::Failed(operation) => {
                let operation = Operation::from(operation);
                if self.bars[operation.index()].state == State::Open {
                    self.end(operation, Ending::Failed);
                }
            }
            ProgressEvent::DiagnosticMessage { message } => {
                self.reporter.event(FlashEvent::Message { text: message })
            }
        }
    }

    /// Ends every bar still open: finished if probe-rs said so and the
    /// flash `succeeded`, abandoned otherwise.
    pub fn close(mut self, succeeded: bool) {
        for operation in Operation::ALL {
            let bar = self.bars[operation.index()];
            if bar.state == State::Open {
                let ending = if succeeded && bar.finished {
                    Ending::Finished
                } else {
                    Ending::Abandoned
                };
                self.end(operation, ending);
            }
        }
    }

    fn announce(&mut self, operation: Operation, total: Option<u64>) {
        let bar = &mut self.bars[operation.index()];
        match bar.state {
            State::Idle => {
                *bar = Bar {
                    state: State::Open,
                    total,
                    done: 0,
                    finished: false,
                };
                self.reporter.event(FlashEvent::Begin { operation, total });
            }
            State::Open => {
                bar.total = bar.total.zip(total).map(|(a, b)| a.saturating_add(b));
                if let Some(total) = bar.total {
                    self.reporter.event(FlashEvent::Total { operation, total });
                }
            }
        }
    }

    /// Opens a bar of unknown size for an operation never announced.
    fn open(&mut self, operation: Operation) {
        if self.bars[operation.index()].state == State::Idle {
            self.announce(operation, None);
        }
    }

    fn advance(&mut self, operation: Operation, size: u64) {
        self.open(operation);
        let bar = &mut self.bars[operation.index()];
        bar.done = bar.done.saturating_add(size);
        let (done, total) = (bar.done, bar.total);
        if let Some(total) = total
            && done > total
        {
            bar.total = Some(done);
            self.reporter.event(FlashEvent::Total {
                operation,
                total: done,
            });
        }
        let total = self.bars[operation.index()].total;
        self.reporter.event(FlashEvent::Advance {
            operation,
            done,
            total,
        });
        self.end_if_done(operation);
    }

    fn finish(&mut self, operation: Operation) {
        let bar = &mut self.bars[operation.index()];
        if bar.state == State::Idle {
            return;
        }
        bar.finished = true;
        if bar.total.is_none() {
            self.end(operation, Ending::Finished);
        } else {
            self.end_if_done(operation);
        }
    }

    /// Ends a bar probe-rs finished whose bytes are all done.
    fn end_if_done(&mut self, operation: Operation) {
        let bar = self.bars[operation.index()];
        let done = bar.total.is_some_and(|total| bar.done >= total);
        if bar.state == State::Open && bar.finished && done {
            self.end(operation, Ending::Finished);
        }
    }

    fn end(&mut self, operation: Operation, ending: Ending) {
        let bar = &mut self.bars[operation.index()];
        let done = bar.done;
        *bar = Bar::default();
        self.reporter.event(FlashEvent::End {
            operation,
            ending,
            done,
        });
    }
}
