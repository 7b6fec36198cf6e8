//! The export buttons: every format of one step ("export all") or the
//! model only, each written once the runs are paused and measured at the
//! step shown ([`crate::app::paused_write`]).

use super::{Panel, PanelContext};
use crate::app::paused_write::{Due, PausedWrite};
use crate::app::state::{Live, TrainingLink};
use bevy_egui::egui;
use curvscope_core::io::export::{grid_csv, grid_json, save, series_csv, surface_glb, surface_ply};
use curvscope_core::train::runner::Command;
use std::path::{Path, PathBuf};

impl Panel {
    /// The export buttons (see [`export_all`] and [`export_models`]).
    pub(super) fn export_section(&mut self, ui: &mut egui::Ui, cx: &PanelContext) {
        let label = if self.export.is_some() {
            "exporting…"
        } else {
            "export all: problem, model, surface, grid, series"
        };
        let button = ui
            .add_enabled(self.export.is_none(), egui::Button::new(label))
            .on_hover_text(
                "Pauses, measures at this step, writes curvscope[-run]-stepN.json (problem), \
                 .safetensors (model) and .lesson.json (the run as a lesson), .glb and .ply \
                 (surface), .grid.csv and .grid.json, .series.csv into the working folder, \
                 then resumes.",
            );
        if button.clicked() {
            self.export = Some(PendingExport::ask(&cx.link, &cx.live, PathBuf::from(".")));
        }
        let model = ui.button("export model (safetensors)").on_hover_text(
            "Pauses, writes each run's network and parameters at this step as \
             curvscope[-run]-stepN.safetensors (PyTorch names 0.weight, 0.bias, 2.weight, …) \
             with the run as a lesson beside it, then resumes.",
        );
        if model.clicked() && self.export.is_none() {
            self.export = Some(PendingExport::ask_model(
                &cx.link,
                &cx.live,
                PathBuf::from("."),
            ));
        }
    }
}

/// The file name of an export: `curvscope[-run]-step<N>.<ext>` in the
/// working folder (the run's label, lowercase, spaces as dashes).
pub fn export_name(label: &str, step: u64, ext: &str) -> PathBuf {
    let slug: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        format!("curvscope-step{step}.{ext}").into()
    } else {
        format!("curvscope-{slug}-step{step}.{ext}").into()
    }
}

/// An export waiting for the runs to pause and be measured at the step
/// they show, so that every file of one click is of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingExport(PausedWrite<Export>);

/// What an export writes.
#[derive(Debug, Clone, PartialEq)]
struct Export {
    /// Where the files go.
    folder: PathBuf,
    /// Only the model (safetensors) and its lesson, not every format.
    model_only: bool,
}

impl PendingExport {
    /// An export of every format into `folder` asked for now: pauses the
    /// runs (to resume after) unless they are paused.
    pub fn ask(link: &TrainingLink, live: &Live, folder: PathBuf) -> Self {
        let export = Export {
            folder,
            model_only: false,
        };
        Self(PausedWrite::ask(link, live, export))
    }

    /// [`PendingExport::ask`] for the model (safetensors) and its lesson only.
    pub fn ask_model(link: &TrainingLink, live: &Live, folder: PathBuf) -> Self {
        let export = Export {
            folder,
            model_only: true,
        };
        Self(PausedWrite::ask(link, live, export))
    }
}

/// Finishes the panel's pending export once the runs are ready (paused
/// and measured at the step shown), then resumes them if it paused them;
/// drops it when the runs were restarted meanwhile.
pub fn finish_export(link: &TrainingLink, live: &mut Live, panel: &mut Panel) {
    let Some(PendingExport(pending)) = panel.export.take() else {
        return;
    };
    let waiting = pending.finish_when_ready(link, live, |due, live| {
        if let Due::Now(export) = due {
            live.notice = Some(if export.model_only {
                export_models(link, live, &export.folder)
            } else {
                export_all(link, live, &export.folder)
            });
        }
    });
    panel.export = waiting.map(PendingExport);
}

/// Writes every run's files for the step they show: the problem file (by
/// the runner, which is paused at that step), the surface (glTF, PLY), the
/// grid (CSV, JSON) and the time series (CSV); returns the notice.
fn export_all(link: &TrainingLink, live: &Live, folder: &Path) -> String {
    let mut written = Vec::new();
    let mut failed = Vec::new();
    for (i, run) in live.runs.iter().enumerate() {
        let Some(snapshot) = run.latest.as_ref() else {
            continue;
        };
        let name = |ext: &str| folder.join(export_name(&run.label, snapshot.step, ext));
        link.send(Command::SaveProblem(i, name("json")));
        link.send(Command::SaveModel(i, name("safetensors")));
        let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
        if let Some(surface) = &snapshot.surface {
            files.push((name("glb"), surface_glb(surface)));
            files.push((name("ply"), surface_ply(surface).into_bytes()));
            files.push((name("grid.csv"), grid_csv(surface).into_bytes()));
            files.push((name("grid.json"), grid_json(surface).into_bytes()));
        }
        let rows: Vec<_> = run
            .history
            .iter()
            .filter(|h| h.step <= snapshot.step)
            .cloned()
            .collect();
        files.push((name("series.csv"), series_csv(&rows).into_bytes()));
        for (path, bytes) in files {
            match save(&path, &bytes) {
                Ok(()) => written.push(path),
                Err(e) => failed.push(e.to_string()),
            }
        }
    }
    match (written.first(), failed.first()) {
        (_, Some(error)) => error.clone(),
        (Some(first), None) => format!(
            "wrote {} files of step {} ({} …), the problem and model files and their lesson",
            written.len(),
            live.latest().map_or(0, |s| s.step),
            first.display()
        ),
        (None, None) => "nothing to export yet".to_string(),
    }
}

/// Asks the runner for every run's model (safetensors) of the step shown,
/// each with its lesson beside it (the runner's notice says what it wrote).
fn export_models(link: &TrainingLink, live: &Live, folder: &Path) -> String {
    for (i, run) in live.runs.iter().enumerate() {
        if let Some(s) = &run.latest {
            let path = folder.join(export_name(&run.label, s.step, "safetensors"));
            link.send(Command::SaveModel(i, path));
        }
    }
    "writing the model…".to_string()
}
