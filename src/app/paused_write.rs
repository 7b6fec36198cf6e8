//! Files of one step: a write asked for now pauses the runs, waits until
//! every run is paused and measured at the step it shows
//! ([`Live::paused_and_measured`]), is done, and then the runs resume if
//! they were running. "Export all", "export model" (the panel) and
//! screenshots ([`super::capture`]) all go through [`PausedWrite`].

use super::state::{Live, TrainingLink};
use curvscope_core::train::runner::Command;

/// A write (`job`) waiting for the runs to be paused and measured at the
/// step they show.
#[derive(Debug, Clone, PartialEq)]
pub struct PausedWrite<T> {
    /// What to write.
    job: T,
    /// The generation it was asked in (a restart drops it).
    generation: u64,
    /// Whether it paused the runs (they resume once it is done).
    resume: bool,
}

/// A write whose runs are ready: paused and measured at the step shown.
#[derive(Debug, Clone, PartialEq)]
pub enum Due<T> {
    /// Write it now: the runs show the step it was asked at.
    Now(T),
    /// The runs were restarted since it was asked: its step is gone.
    Restarted(T),
}

impl<T> PausedWrite<T> {
    /// Asks for `job` now: pauses the runs unless they are paused (they
    /// resume after it).
    pub fn ask(link: &TrainingLink, live: &Live, job: T) -> Self {
        Self::behind(link, live, job, false)
    }

    /// [`PausedWrite::ask`] behind other writes still waiting; `paused`:
    /// one of them paused the runs (its pause may not have reached `live`
    /// yet), and it resumes them.
    fn behind(link: &TrainingLink, live: &Live, job: T, paused: bool) -> Self {
        let resume = !live.paused && !paused;
        if resume {
            link.send(Command::Pause(true));
        }
        Self {
            job,
            generation: live.generation,
            resume,
        }
    }

    /// What it will write.
    pub fn job(&self) -> &T {
        &self.job
    }

    /// Once every run is paused and measured at the step it shows: does
    /// `write` (with the job, or with the news that a restart dropped its
    /// step), then resumes the runs if this write paused them; the commands
    /// `write` sends reach the runner before the resume, so they act on the
    /// step shown. Until then, gives itself back to wait another frame.
    pub fn finish_when_ready(
        self,
        link: &TrainingLink,
        live: &mut Live,
        write: impl FnOnce(Due<T>, &mut Live),
    ) -> Option<Self> {
        if !live.paused_and_measured() {
            return Some(self);
        }
        let due = if self.generation == live.generation {
            Due::Now(self.job)
        } else {
            Due::Restarted(self.job)
        };
        write(due, live);
        if self.resume {
            link.send(Command::Pause(false));
        }
        None
    }
}

/// Writes waiting in line for one step (the screenshots asked for): only
/// the first that paused the runs resumes them.
#[derive(Debug)]
pub struct PausedWrites<T>(Vec<PausedWrite<T>>);

impl<T> Default for PausedWrites<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> PausedWrites<T> {
    /// Asks for `job` behind the writes waiting (see [`PausedWrite::ask`]).
    pub fn ask(&mut self, link: &TrainingLink, live: &Live, job: T) {
        let paused = self.0.iter().any(|w| w.resume);
        self.0.push(PausedWrite::behind(link, live, job, paused));
    }

    /// Whether no write is waiting.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Does every waiting write once the runs are ready, in the order
    /// asked (see [`PausedWrite::finish_when_ready`]).
    pub fn finish_when_ready(
        &mut self,
        link: &TrainingLink,
        live: &mut Live,
        mut write: impl FnMut(Due<T>, &mut Live),
    ) {
        self.0 = std::mem::take(&mut self.0)
            .into_iter()
            .filter_map(|w| w.finish_when_ready(link, live, &mut write))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::RunView;
    use std::sync::mpsc::Receiver;

    /// What the link carried since the last call.
    fn sent(commands: &Receiver<Command>) -> Vec<Command> {
        commands.try_iter().collect()
    }

    /// Runs as the app sees them: `paused`, and measured at the step shown
    /// or not (a run without a snapshot yet is not).
    fn live(paused: bool, measured: bool, generation: u64) -> Live {
        let mut live = Live::default();
        live.paused = paused;
        live.generation = generation;
        if !measured {
            live.runs.push(RunView::default());
        }
        live
    }

    /// Pause → waits while not measured → writes once → resumes, after
    /// what the write sent.
    #[test]
    fn a_write_pauses_waits_until_measured_writes_once_then_resumes() {
        let (link, commands, _mailbox, _failure) = TrainingLink::new();
        let pending = PausedWrite::ask(&link, &live(false, false, 0), "file");
        assert_eq!(sent(&commands), [Command::Pause(true)]);
        let mut writes = Vec::new();
        let mut write = |due: Due<&'static str>, _: &mut Live| {
            link.send(Command::Step);
            writes.push(due);
        };
        // Not paused yet, then paused but not measured: it waits.
        let pending = pending
            .finish_when_ready(&link, &mut live(false, false, 0), &mut write)
            .expect("waits for the pause");
        let pending = pending
            .finish_when_ready(&link, &mut live(true, false, 0), &mut write)
            .expect("waits for the measurement");
        assert!(sent(&commands).is_empty());
        let done = pending.finish_when_ready(&link, &mut live(true, true, 0), &mut write);
        assert!(done.is_none());
        assert_eq!(writes, [Due::Now("file")]);
        assert_eq!(sent(&commands), [Command::Step, Command::Pause(false)]);
    }

    /// Runs paused by the user stay paused after the write.
    #[test]
    fn a_write_asked_while_paused_leaves_the_runs_paused() {
        let (link, commands, _mailbox, _failure) = TrainingLink::new();
        let pending = PausedWrite::ask(&link, &live(true, true, 3), 7);
        let mut writes = Vec::new();
        let done =
            pending.finish_when_ready(&link, &mut live(true, true, 3), |due, _| writes.push(due));
        assert!(done.is_none());
        assert_eq!(writes, [Due::Now(7)]);
        assert!(sent(&commands).is_empty(), "neither paused nor resumed");
    }

    /// A restart between the ask and the measurement drops the step: the
    /// write hears so, and the runs it paused resume.
    #[test]
    fn a_restart_drops_the_write_and_still_resumes() {
        let (link, commands, _mailbox, _failure) = TrainingLink::new();
        let pending = PausedWrite::ask(&link, &live(false, false, 0), "file");
        let mut writes = Vec::new();
        let done =
            pending.finish_when_ready(&link, &mut live(true, true, 1), |due, _| writes.push(due));
        assert!(done.is_none());
        assert_eq!(writes, [Due::Restarted("file")]);
        assert_eq!(
            sent(&commands),
            [Command::Pause(true), Command::Pause(false)]
        );
    }

    /// Two pictures asked before the pause reached the app: one pause, one
    /// resume, both written at the step shown.
    #[test]
    fn writes_in_line_pause_and_resume_once() {
        let (link, commands, _mailbox, _failure) = TrainingLink::new();
        let mut line = PausedWrites::default();
        line.ask(&link, &live(false, false, 0), 1);
        line.ask(&link, &live(false, false, 0), 2);
        assert_eq!(sent(&commands), [Command::Pause(true)]);
        let mut writes = Vec::new();
        line.finish_when_ready(&link, &mut live(true, false, 0), |due, _| writes.push(due));
        assert!(!line.is_empty() && writes.is_empty());
        line.finish_when_ready(&link, &mut live(true, true, 0), |due, _| writes.push(due));
        assert!(line.is_empty());
        assert_eq!(writes, [Due::Now(1), Due::Now(2)]);
        assert_eq!(sent(&commands), [Command::Pause(false)]);
    }
}
