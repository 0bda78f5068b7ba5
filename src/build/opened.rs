//! A project as `run` and `flash` meet it: either kind of
//! `mcu-build.toml`, with what they need of it (the board, the plan to
//! compare with build.json's, what the build is made from now, and the
//! default image).

use std::path::{Path, PathBuf};

use super::config::{self, BoardSource, ProjectConfig};
use super::inspect::InspectError;
use super::nuttx::NuttxProject;
use super::processes_project::ProcessesProject;
use super::protect::{Project, ProtectError};
use super::provenance::Provenance;
use crate::board::Board;
use crate::layout::Plan;

/// An opened project of either kind.
#[derive(Clone, Debug)]
pub enum Opened {
    Passes(Box<Project>),
    Nuttx(Box<NuttxProject>),
    Processes(Box<ProcessesProject>),
}

impl Opened {
    /// Reads `config_path` and opens the project it describes, for
    /// `board` if given instead of the configuration's.
    pub fn open(config_path: &Path, board: Option<BoardSource>) -> Result<Opened, ProtectError> {
        Ok(match config::load_any(config_path)? {
            ProjectConfig::Passes(_) => {
                Opened::Passes(Box::new(Project::open(config_path, board)?))
            }
            ProjectConfig::Nuttx(nuttx) => {
                Opened::Nuttx(Box::new(NuttxProject::open(nuttx, board)?))
            }
            ProjectConfig::Processes(processes) => {
                Opened::Processes(Box::new(ProcessesProject::open(*processes, board)?))
            }
        })
    }

    /// The path of output `name` (e.g. `combined.hex`).
    pub fn output(&self, name: &str) -> PathBuf {
        match self {
            Opened::Passes(project) => project.output(name),
            Opened::Nuttx(project) => project.output(name),
            Opened::Processes(project) => project.output(name),
        }
    }

    /// The board `action` (`run`, `flash`) uses; a NuttX project that
    /// names none has none.
    pub fn board(&self, action: &'static str) -> Result<&Board, ProtectError> {
        match self {
            Opened::Passes(project) => Ok(&project.board),
            Opened::Nuttx(project) => Ok(project.board_for(action)?),
            Opened::Processes(project) => Ok(&project.board),
        }
    }

    /// Where the board comes from, if the project names one.
    pub fn board_source(&self) -> Option<&BoardSource> {
        match self {
            Opened::Passes(project) => Some(&project.config.board),
            Opened::Nuttx(project) => project.config.board.as_ref(),
            Opened::Processes(project) => Some(&project.config.layout.board),
        }
    }

    /// The project root.
    pub fn root(&self) -> &Path {
        match self {
            Opened::Passes(project) => &project.config.root,
            Opened::Nuttx(project) => &project.config.root,
            Opened::Processes(project) => project.root(),
        }
    }

    /// The configuration file.
    pub fn config_path(&self) -> &Path {
        match self {
            Opened::Passes(project) => &project.config.path,
            Opened::Nuttx(project) => &project.config.path,
            Opened::Processes(project) => &project.config.layout.path,
        }
    }

    /// The layout mcu-build planned (for processes, the image's partitions
    /// of every process); a NuttX tree's partitions are its memory.ld,
    /// compared through [`Opened::provenance`] and the inputs build.json
    /// records.
    pub fn plan(&self) -> Option<&Plan> {
        match self {
            Opened::Passes(project) => Some(project.plan.plan()),
            Opened::Processes(project) => Some(&project.image_plan),
            Opened::Nuttx(_) => None,
        }
    }

    /// What the project is made from now.
    pub fn provenance(&self) -> Result<Provenance, InspectError> {
        match self {
            Opened::Passes(project) => Provenance::of(project),
            Opened::Nuttx(project) => Provenance::of_nuttx(project),
            Opened::Processes(project) => project.provenance(),
        }
    }
}
