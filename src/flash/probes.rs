//! The debug probes connected to this machine, and choosing one.
//!
//! With one probe connected, flashing needs no `--probe`; with several, a
//! guess could program the wrong board, so the choice is refused with the
//! list of probes and their selectors.

use probe_rs::probe::DebugProbeInfo;
use probe_rs::probe::DebugProbeSelector;
use probe_rs::probe::list::{Accessibility, Lister, ProbeListItem};
use serde::Serialize;

use super::explain::UDEV_RULES;

/// A connected probe as `probes` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProbeEntry {
    /// The probe's name (e.g. "STLink V2-1").
    pub identifier: String,
    /// What `--probe` takes to choose it: `VID:PID[:SERIAL]`.
    pub selector: String,
    pub serial: Option<String>,
    /// The driver probe-rs uses for it (CMSIS-DAP, ST-Link, J-Link...).
    pub kind: String,
    /// Whether this user may open its USB device.
    pub accessible: bool,
}

impl From<&ProbeListItem> for ProbeEntry {
    fn from(item: &ProbeListItem) -> ProbeEntry {
        let info = &item.info;
        ProbeEntry {
            identifier: info.identifier.clone(),
            selector: DebugProbeSelector::from(info).to_string(),
            serial: info.serial_number.clone(),
            kind: info.probe_type(),
            accessible: item.accessibility == Accessibility::Accessible,
        }
    }
}

impl std::fmt::Display for ProbeEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}, {})", self.selector, self.identifier, self.kind)?;
        if !self.accessible {
            f.write_str(", permission denied")?;
        }
        Ok(())
    }
}

/// No probe can be chosen.
#[derive(Debug, thiserror::Error)]
pub enum ChoiceError {
    #[error(
        "no debug probe found: check that it is plugged in with a data cable (not a \
         charge-only one) and powered; on Linux a probe this user may not open is invisible \
         without probe-rs's udev rules ({UDEV_RULES})"
    )]
    NoProbe,
    #[error(
        "{} debug probes are connected; choose one with --probe VID:PID[:SERIAL]:\n  {}",
        probes.len(),
        list(probes)
    )]
    Several { probes: Vec<ProbeEntry> },
    #[error(
        "no connected probe matches --probe {selector}; connected:\n  {}",
        list(probes)
    )]
    NoMatch {
        selector: String,
        probes: Vec<ProbeEntry>,
    },
    #[error(
        "this user may not open the probe {probe}: install probe-rs's udev rules \
         ({UDEV_RULES}), then unplug and replug the probe"
    )]
    PermissionDenied { probe: ProbeEntry },
}

fn list(probes: &[ProbeEntry]) -> String {
    if probes.is_empty() {
        return "none".to_owned();
    }
    probes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// The connected probes.
pub fn list_connected() -> Vec<ProbeEntry> {
    Lister::new()
        .list_all_with_access()
        .iter()
        .map(ProbeEntry::from)
        .collect()
}

/// The probe to use: the one `selector` matches, or the only one there is.
pub fn choose(
    selector: Option<&DebugProbeSelector>,
) -> Result<(DebugProbeInfo, ProbeEntry), ChoiceError> {
    let all = Lister::new().list_all_with_access();
    let matching: Vec<&ProbeListItem> = all
        .iter()
        .filter(|item| selector.is_none_or(|s| s.matches_probe(&item.info)))
        .collect();
    let item = match (matching.as_slice(), selector) {
        ([], None) => return Err(ChoiceError::NoProbe),
        ([], Some(selector)) => {
            return Err(ChoiceError::NoMatch {
                selector: selector.to_string(),
                probes: all.iter().map(ProbeEntry::from).collect(),
            });
        }
        ([item], _) => *item,
        (several, _) => {
            return Err(ChoiceError::Several {
                probes: several.iter().map(|item| ProbeEntry::from(*item)).collect(),
            });
        }
    };
    let entry = ProbeEntry::from(item);
    if !entry.accessible {
        return Err(ChoiceError::PermissionDenied { probe: entry });
    }
    Ok((item.info.clone(), entry))
}
