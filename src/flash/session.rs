//! Attaching to the chip through a probe, with the connection options.
//!
//! Permissions are probe-rs's guard against destroying a chip by accident:
//! a locked chip (read-out protection, nRF APPROTECT) can only be unlocked
//! by erasing all of it, and probe-rs does so only with
//! `Permissions::allow_erase_all`. mcu-build grants it only when asked with
//! `--allow-unlock-erase`, never as a side effect of `--chip-erase`.

use probe_rs::probe::{DebugProbeError, DebugProbeSelector, WireProtocol};
use probe_rs::{Permissions, Session};

use super::chip::Chip;
use super::explain::with_hint;
use super::probes::{self, ChoiceError, ProbeEntry};

/// The wire protocol between probe and chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    Swd,
    Jtag,
}

impl From<Protocol> for WireProtocol {
    fn from(protocol: Protocol) -> WireProtocol {
        match protocol {
            Protocol::Swd => WireProtocol::Swd,
            Protocol::Jtag => WireProtocol::Jtag,
        }
    }
}

/// How to connect.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    /// Which probe; needed when several are connected.
    pub probe: Option<DebugProbeSelector>,
    /// The probe's clock, in kHz; the probe's default when `None`.
    pub speed_khz: Option<u32>,
    /// The probe's default (SWD on most) when `None`.
    pub protocol: Option<Protocol>,
    /// Hold the chip in reset while connecting: for firmware that disables
    /// the debug pins or sleeps at once.
    pub connect_under_reset: bool,
    /// Let probe-rs run the destructive unlock sequence of a locked chip.
    pub allow_unlock_erase: bool,
}

/// The connection failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Choice(#[from] ChoiceError),
    #[error("cannot open the probe {probe}: {}", with_hint(error))]
    Open {
        probe: String,
        error: DebugProbeError,
    },
    #[error("the probe {probe} cannot use {protocol:?}: {error}; leave out --protocol")]
    Protocol {
        probe: String,
        protocol: Protocol,
        error: DebugProbeError,
    },
    #[error("the probe {probe} cannot run at {khz} kHz: {error}; try another --speed")]
    Speed {
        probe: String,
        khz: u32,
        error: DebugProbeError,
    },
    #[error("cannot attach to {chip} through {probe}: {}", with_hint(error))]
    Attach {
        chip: String,
        probe: String,
        error: probe_rs::Error,
    },
}

/// Opens the probe and attaches to `chip`.
pub fn attach(
    chip: &Chip,
    options: &ConnectOptions,
) -> Result<(Session, ProbeEntry), ConnectError> {
    let (info, entry) = probes::choose(options.probe.as_ref())?;
    let mut probe = info.open().map_err(|error| ConnectError::Open {
        probe: entry.to_string(),
        error,
    })?;
    if let Some(protocol) = options.protocol {
        probe
            .select_protocol(protocol.into())
            .map_err(|error| ConnectError::Protocol {
                probe: entry.to_string(),
                protocol,
                error,
            })?;
    }
    if let Some(khz) = options.speed_khz {
        probe.set_speed(khz).map_err(|error| ConnectError::Speed {
            probe: entry.to_string(),
            khz,
            error,
        })?;
    }
    let permissions = if options.allow_unlock_erase {
        Permissions::new().allow_erase_all()
    } else {
        Permissions::new()
    };
    let target = chip.target.clone();
    let session = if options.connect_under_reset {
        probe.attach_under_reset(target, permissions)
    } else {
        probe.attach(target, permissions)
    }
    .map_err(|error| ConnectError::Attach {
        chip: chip.name.clone(),
        probe: entry.to_string(),
        error,
    })?;
    Ok((session, entry))
}
