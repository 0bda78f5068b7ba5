//! `mcu-build probes`: the debug probes connected to this machine.

use std::process::ExitCode;

use clap::Args;

use crate::flash::explain::UDEV_RULES;
use crate::flash::probes;

#[derive(Debug, Args)]
pub struct ProbesArgs {
    /// Print a JSON array of probes.
    #[arg(long)]
    json: bool,
}

impl ProbesArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let probes = probes::list_connected();
        if self.json {
            println!("{}", serde_json::to_string_pretty(&probes)?);
            return Ok(ExitCode::SUCCESS);
        }
        if probes.is_empty() {
            println!(
                "no debug probe found: check that it is plugged in with a data cable and \
                 powered; on Linux, a probe this user may not open needs probe-rs's udev rules \
                 ({UDEV_RULES})"
            );
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "{:<28} {:<24} {:<20} {:<12} access",
            "selector (--probe)", "identifier", "serial", "kind"
        );
        for probe in &probes {
            println!(
                "{:<28} {:<24} {:<20} {:<12} {}",
                probe.selector,
                probe.identifier,
                probe.serial.as_deref().unwrap_or("-"),
                probe.kind,
                if probe.accessible {
                    "ok".to_owned()
                } else {
                    format!("permission denied: install the udev rules ({UDEV_RULES})")
                }
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
