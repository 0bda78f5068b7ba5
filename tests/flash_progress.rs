//! The progress tracker fed recorded probe-rs event sequences, including
//! duplicate and unannounced bars, and random ones: it never panics, every
//! bar begins before it advances, ends once, and after `close` every bar
//! has ended, finished, failed or abandoned.

#![cfg(feature = "flash")]

use std::collections::HashMap;
use std::time::Duration;

use mcu_build::flash::progress::{Ending, FlashEvent, FlashReporter, Operation, Tracker};
use probe_rs::flashing::{ProgressEvent, ProgressOperation};
use proptest::prelude::*;

#[derive(Default)]
struct Recorder {
    events: Vec<FlashEvent>,
}

impl FlashReporter for Recorder {
    fn event(&mut self, event: FlashEvent) {
        self.events.push(event);
    }
}

fn operation(name: &str) -> ProgressOperation {
    match name {
        "erase" => ProgressOperation::Erase,
        "program" => ProgressOperation::Program,
        "verify" => ProgressOperation::Verify,
        "fill" => ProgressOperation::Fill,
        other => panic!("unknown operation {other}"),
    }
}

/// One line of a `.events` file as a probe-rs event.
fn parse(line: &str) -> ProgressEvent {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["layout"] => ProgressEvent::FlashLayoutReady {
            flash_layout: Vec::new(),
        },
        ["add", op, total] => ProgressEvent::AddProgressBar {
            operation: operation(op),
            total: Some(total.parse().unwrap()),
        },
        ["add", op] => ProgressEvent::AddProgressBar {
            operation: operation(op),
            total: None,
        },
        ["started", op] => ProgressEvent::Started(operation(op)),
        ["progress", op, size] => ProgressEvent::Progress {
            operation: operation(op),
            size: size.parse().unwrap(),
            time: Duration::from_millis(1),
        },
        ["finished", op] => ProgressEvent::Finished(operation(op)),
        ["failed", op] => ProgressEvent::Failed(operation(op)),
        ["message", ..] => ProgressEvent::DiagnosticMessage {
            message: words[1..].join(" "),
        },
        _ => panic!("bad line {line:?}"),
    }
}

fn recorded(name: &str) -> Vec<ProgressEvent> {
    let path = format!("{}/tests/data/flash/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(parse)
        .collect()
}

/// Feeds `events`, closes, and checks the reporter's sequence is well
/// formed; returns the events and each bar's endings in order.
fn run(events: Vec<ProgressEvent>, succeeded: bool) -> (Vec<FlashEvent>, Vec<(Operation, Ending)>) {
    let mut recorder = Recorder::default();
    let mut tracker = Tracker::new(&mut recorder);
    for event in events {
        tracker.handle(event);
    }
    tracker.close(succeeded);
    let mut open: HashMap<Operation, u64> = HashMap::new();
    let mut endings = Vec::new();
    for event in &recorder.events {
        match event {
            FlashEvent::Begin { operation, .. } => {
                assert!(
                    open.insert(*operation, 0).is_none(),
                    "{operation:?} begun twice"
                );
            }
            FlashEvent::Total { operation, .. } => {
                assert!(
                    open.contains_key(operation),
                    "total of a closed {operation:?}"
                );
            }
            FlashEvent::Advance {
                operation,
                done,
                total,
            } => {
                let last = open.get_mut(operation).expect("advance of a closed bar");
                assert!(*done >= *last, "{operation:?} went back");
                *last = *done;
                if let Some(total) = total {
                    assert!(done <= total, "{operation:?}: {done} of {total}");
                }
            }
            FlashEvent::End {
                operation, ending, ..
            } => {
                assert!(
                    open.remove(operation).is_some(),
                    "{operation:?} ended twice"
                );
                endings.push((*operation, *ending));
            }
            FlashEvent::Attached { .. } | FlashEvent::Message { .. } => {}
        }
    }
    assert!(open.is_empty(), "bars left open: {open:?}");
    (recorder.events, endings)
}

#[test]
fn two_algorithms_give_one_bar_per_operation_with_the_summed_total() {
    let (events, endings) = run(recorded("two-algorithms.events"), true);
    assert!(events.contains(&FlashEvent::Begin {
        operation: Operation::Erase,
        total: Some(32768)
    }));
    assert!(events.contains(&FlashEvent::Total {
        operation: Operation::Erase,
        total: 49152
    }));
    // Each operation ends once its bytes of both algorithms are done.
    assert!(events.contains(&FlashEvent::End {
        operation: Operation::Program,
        ending: Ending::Finished,
        done: 5000
    }));
    assert!(events.contains(&FlashEvent::Message {
        text: "flash algorithm says hello".into()
    }));
    // The unannounced fill got a bar of unknown size; the late program
    // bytes reopened a bar that then ended at close.
    assert!(events.contains(&FlashEvent::Begin {
        operation: Operation::Fill,
        total: None
    }));
    assert_eq!(
        endings,
        [
            (Operation::Erase, Ending::Finished),
            (Operation::Program, Ending::Finished),
            (Operation::Verify, Ending::Finished),
            (Operation::Fill, Ending::Finished),
            (Operation::Program, Ending::Abandoned),
        ]
    );
}

#[test]
fn a_failed_flash_fails_its_bar_and_abandons_the_rest() {
    let (_, endings) = run(recorded("failed-program.events"), false);
    assert_eq!(
        endings,
        [
            (Operation::Erase, Ending::Finished),
            (Operation::Program, Ending::Failed),
            (Operation::Verify, Ending::Abandoned),
        ]
    );
}

fn any_operation() -> impl Strategy<Value = ProgressOperation> {
    prop_oneof![
        Just(ProgressOperation::Erase),
        Just(ProgressOperation::Program),
        Just(ProgressOperation::Verify),
        Just(ProgressOperation::Fill),
    ]
}

fn any_event() -> impl Strategy<Value = ProgressEvent> {
    prop_oneof![
        (any_operation(), proptest::option::of(0..u64::MAX))
            .prop_map(|(operation, total)| ProgressEvent::AddProgressBar { operation, total }),
        any_operation().prop_map(ProgressEvent::Started),
        (any_operation(), any::<u64>()).prop_map(|(operation, size)| ProgressEvent::Progress {
            operation,
            size,
            time: Duration::ZERO,
        }),
        any_operation().prop_map(ProgressEvent::Finished),
        any_operation().prop_map(ProgressEvent::Failed),
        ".{0,8}".prop_map(|message| ProgressEvent::DiagnosticMessage { message }),
    ]
}

proptest! {
    #[test]
    fn any_sequence_is_well_formed(
        events in proptest::collection::vec(any_event(), 0..60),
        succeeded: bool,
    ) {
        run(events, succeeded);
    }
}
