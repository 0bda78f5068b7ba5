//! What to try when probe-rs fails.
//!
//! probe-rs's errors say what went wrong at its level ("USB error", "ARM
//! timeout"); a developer at a desk needs to know what to do about it: fix
//! udev rules, wire reset, slow the clock, unlock the chip. [`hint`] walks an
//! error's chain and recognises the failures that have a known remedy.

use std::error::Error as StdError;

use probe_rs::architecture::arm::ArmError;
use probe_rs::probe::{DebugProbeError, ProbeCreationError};

/// Where udev rules for the probes come from.
pub const UDEV_RULES: &str = "https://probe.rs/docs/getting-started/probe-setup/";

/// A failure with a known remedy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hint {
    /// The USB device of the probe cannot be opened by this user.
    PermissionDenied,
    /// The probe is there but the chip does not answer.
    NotResponding,
    /// The chip is locked (read-out protection) and needs an erase to unlock.
    Locked,
}

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hint::PermissionDenied => write!(
                f,
                "this user may not open the probe's USB device: install probe-rs's udev rules \
                 ({UDEV_RULES}), then unplug and replug the probe"
            ),
            Hint::NotResponding => f.write_str(
                "the chip does not respond: check the wiring (SWDIO, SWCLK, GND, reset) and the \
                 board's power, then try --connect-under-reset or a lower --speed (e.g. --speed 1000)",
            ),
            Hint::Locked => f.write_str(
                "the chip is locked: unlocking erases all of its flash; if that is what you \
                 want, repeat with --allow-unlock-erase",
            ),
        }
    }
}

/// The remedy for `error`, found anywhere in its chain of sources.
pub fn hint(error: &(dyn StdError + 'static)) -> Option<Hint> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(hint) = hint_for(error) {
            return Some(hint);
        }
        current = error.source();
    }
    None
}

fn hint_for(error: &(dyn StdError + 'static)) -> Option<Hint> {
    if let Some(error) = error.downcast_ref::<probe_rs::Error>() {
        return match error {
            probe_rs::Error::Timeout => Some(Hint::NotResponding),
            probe_rs::Error::MissingPermissions(_) => Some(Hint::Locked),
            _ => None,
        };
    }
    if let Some(error) = error.downcast_ref::<ArmError>() {
        return match error {
            ArmError::Timeout | ArmError::NoTargetResponse { .. } => Some(Hint::NotResponding),
            ArmError::MissingPermissions(_) => Some(Hint::Locked),
            _ => None,
        };
    }
    if let Some(error) = error.downcast_ref::<DebugProbeError>() {
        return match error {
            DebugProbeError::TargetNotFound | DebugProbeError::Timeout => Some(Hint::NotResponding),
            _ => None,
        };
    }
    if let Some(error) = error.downcast_ref::<ProbeCreationError>() {
        return match error {
            ProbeCreationError::CouldNotOpen => Some(Hint::PermissionDenied),
            _ => None,
        };
    }
    if let Some(error) = error.downcast_ref::<std::io::Error>() {
        return (error.kind() == std::io::ErrorKind::PermissionDenied)
            .then_some(Hint::PermissionDenied);
    }
    None
}

/// `error`, and its hint if it has one, as one message.
pub fn with_hint(error: &(dyn StdError + 'static)) -> String {
    match hint(error) {
        Some(hint) => format!("{error}: {hint}"),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_failures_with_a_remedy_anywhere_in_the_chain() {
        let timeout = probe_rs::Error::Arm(ArmError::Timeout);
        assert_eq!(hint(&timeout), Some(Hint::NotResponding));
        let denied =
            DebugProbeError::Usb(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert_eq!(hint(&denied), Some(Hint::PermissionDenied));
        let locked = probe_rs::Error::MissingPermissions("erase all".into());
        assert!(with_hint(&locked).contains("--allow-unlock-erase"));
        let other = probe_rs::Error::Other("something".into());
        assert_eq!(hint(&other), None);
    }
}
