//! `openbureau ingest --jobs N`: several batches at once, each on a store connection of its own,
//! for a store that takes several writers (PostgreSQL). One batch is one transaction, and the
//! client's checks and the database's work alternate on its connection; with several, both sides
//! work at once.
//!
//! The files still go in the order given, up to N at a time: a file starts only when every file N
//! or more places before it is done (the order given is kept within N files, as when N furnishers
//! upload at once), and when every earlier file of its furnisher is done (a month before the next,
//! corrections after what they correct). Two batches that open the same new person at once
//! conflict: the second fails, nothing of it stored (docs/postgres.md, "Two batches opening the
//! same person"). It runs again at once beside the others (the batch it met has committed, so it
//! finds that person on file); if it meets another such batch, it runs again alone, once the
//! batches running then have ended, where nothing of this process can conflict with it. Other
//! retryable failures (a deadlock, a lost connection) take the same path; alone, a batch is tried
//! up to [`limits::INGEST_RETRIES_MAX`] times more, with waits that double.

use crate::commands::{Attempt, RETRY_NOTE, describe, ingest_attempt, ingest_one, progress_bar};
use crate::open::{AnyBureau, Context, system_clock};
use crate::{Failure, usage};
use indicatif::ProgressBar;
use ob_model::limits;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Ingests `files` with `jobs` batches at once; stops starting files at the first failure, lets
/// the running ones end, and returns that failure.
pub fn ingest(
    ctx: &Context,
    files: &[PathBuf],
    feedback_dir: &Path,
    jobs: usize,
    total_bytes: u64,
) -> Result<(), Failure> {
    if !ctx.store.concurrent() {
        return Err(usage(format!(
            "--jobs {jobs}: an SQLite store takes one writer, so one batch at a time; several need --store postgres://…"
        )));
    }
    let plan = Plan::new(files, jobs)?;
    // The first bureau may create the key and the store; the others open what it made.
    let mut bureaus = vec![ctx.bureau(true, system_clock())?];
    for _ in 1..jobs.min(files.len()) {
        bureaus.push(ctx.bureau(false, system_clock())?);
    }
    let shared = Shared { plan: Mutex::new(plan), changed: Condvar::new() };
    let bar = progress_bar(total_bytes, "ingest");
    std::thread::scope(|scope| {
        for bureau in &mut bureaus {
            let (shared, bar) = (&shared, &bar);
            scope
                .spawn(move || work(shared, |file, alone| ingest_file(bureau, &files[file], alone, feedback_dir, bar)));
        }
    });
    bar.finish_and_clear();
    let plan = shared.plan.into_inner().unwrap_or_else(PoisonError::into_inner);
    match plan.failure {
        Some(failure) => {
            let left = plan.done.iter().filter(|d| !**d).count();
            Err(failure.context(format!("{left} of {} files not ingested", files.len())))
        }
        None => Ok(()),
    }
}

/// What the workers share.
struct Shared {
    plan: Mutex<Plan>,
    /// Signalled when a file ends (another may now start) or fails.
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Plan> {
        self.plan.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Which file may start.
struct Plan {
    /// Files at once.
    jobs: usize,
    /// Per furnisher, the indexes of its files not yet done, in the order given.
    waiting_by_furnisher: Vec<VecDeque<usize>>,
    /// Each file's furnisher: an index into `waiting_by_furnisher`.
    furnisher: Vec<usize>,
    started: Vec<bool>,
    done: Vec<bool>,
    /// The first file not done (every file before it is).
    first_not_done: usize,
    /// Files running now.
    running: usize,
    /// Times each file failed retryably beside others.
    conflicts: Vec<u32>,
    /// Files that failed retryably too often beside others, to run again one at a time with
    /// nothing else running.
    again: VecDeque<usize>,
    /// Whether a file runs alone now: nothing else starts.
    alone: bool,
    /// The first failure; once there is one, no file starts.
    failure: Option<Failure>,
}

/// A file a worker took.
struct Taken {
    file: usize,
    /// Whether it runs alone (again, after a conflict).
    alone: bool,
}

impl Plan {
    /// Reads each file's furnisher from its start (the whole file is checked by its ingest).
    fn new(files: &[PathBuf], jobs: usize) -> Result<Plan, Failure> {
        let mut codes: Vec<String> = Vec::new();
        let mut furnisher = Vec::with_capacity(files.len());
        for path in files {
            let code = ob_bureau::ingest::furnisher_of(path)
                .map_err(|e| crate::commands::classify(e).context(path.display().to_string()))?;
            furnisher.push(codes.iter().position(|c| *c == code).unwrap_or_else(|| {
                codes.push(code);
                codes.len() - 1
            }));
        }
        Ok(Plan::of(furnisher, codes.len(), jobs))
    }

    /// The plan for files of these furnishers (indexes below `furnishers`).
    fn of(furnisher: Vec<usize>, furnishers: usize, jobs: usize) -> Plan {
        let mut waiting_by_furnisher = vec![VecDeque::new(); furnishers];
        for (file, f) in furnisher.iter().enumerate() {
            waiting_by_furnisher[*f].push_back(file);
        }
        let files = furnisher.len();
        Plan {
            jobs,
            waiting_by_furnisher,
            furnisher,
            started: vec![false; files],
            done: vec![false; files],
            first_not_done: 0,
            running: 0,
            conflicts: vec![0; files],
            again: VecDeque::new(),
            alone: false,
            failure: None,
        }
    }

    /// The next file to start, if one may start now.
    fn take(&mut self) -> Option<Taken> {
        if self.failure.is_some() || self.alone {
            return None;
        }
        if let Some(&file) = self.again.front() {
            if self.running > 0 {
                return None;
            }
            self.again.pop_front();
            (self.alone, self.running) = (true, 1);
            return Some(Taken { file, alone: true });
        }
        // The first in the order given whose furnisher's earlier files are done, within the window.
        let file = self
            .waiting_by_furnisher
            .iter()
            .filter_map(|q| q.front().copied())
            .filter(|&i| !self.started[i] && i < self.first_not_done + self.jobs)
            .min()?;
        self.started[file] = true;
        self.running += 1;
        Some(Taken { file, alone: false })
    }

    /// Whether every file is done, or one failed: a worker with nothing to take stops. (Until
    /// then a file can always start once the running ones end: the first file not done.)
    fn finished(&self) -> bool {
        self.failure.is_some() || self.first_not_done == self.done.len()
    }

    /// Notes how a file taken ended.
    fn ended(&mut self, taken: &Taken, outcome: Ended) {
        self.running -= 1;
        self.alone = false;
        match outcome {
            Ended::Done => {
                let queue = &mut self.waiting_by_furnisher[self.furnisher[taken.file]];
                assert_eq!(queue.front(), Some(&taken.file), "a file ended before an earlier file of its furnisher");
                queue.pop_front();
                self.done[taken.file] = true;
                while self.done.get(self.first_not_done) == Some(&true) {
                    self.first_not_done += 1;
                }
            }
            Ended::Again if self.conflicts[taken.file] < limits::INGEST_JOBS_CONFLICTS_BESIDE => {
                // Once more beside the others: the batch it met has committed, so it finds that
                // person on file now.
                self.conflicts[taken.file] += 1;
                self.started[taken.file] = false;
            }
            Ended::Again => {
                let at = self.again.partition_point(|&f| f < taken.file);
                self.again.insert(at, taken.file);
            }
            Ended::Failed(failure) => {
                self.failure.get_or_insert(failure);
            }
        }
    }
}

/// How a file taken ended.
enum Ended {
    Done,
    /// Failed retryably while others ran: to run again beside them once, then alone.
    Again,
    Failed(Failure),
}

/// One worker: takes the next file that may start, runs it with `run` (the file's index, whether
/// it runs alone), and again, until every file is done or one failed.
fn work(shared: &Shared, mut run: impl FnMut(usize, bool) -> Ended) {
    loop {
        let mut running = {
            let mut plan = shared.lock();
            loop {
                if plan.finished() {
                    return;
                }
                if let Some(taken) = plan.take() {
                    break Running { shared, taken: Some(taken) };
                }
                plan = shared.changed.wait(plan).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let Some((file, alone)) = running.taken.as_ref().map(|t| (t.file, t.alone)) else { return };
        running.end(run(file, alone));
    }
}

/// Ingests one file, saying how it went.
fn ingest_file(bureau: &mut AnyBureau, path: &Path, alone: bool, feedback_dir: &Path, bar: &ProgressBar) -> Ended {
    let outcome = if alone {
        // Alone, a conflict can only be with another process: retried in place.
        ingest_one(bureau, path, feedback_dir, bar, limits::INGEST_RETRIES_MAX).map(|(s, f)| Attempt::Done(s, f))
    } else {
        ingest_attempt(bureau, path, feedback_dir, bar)
    };
    match outcome {
        Ok(Attempt::Done(summary, feedback)) => {
            bar.suspend(|| outln!("{}", describe(path, &summary, feedback.as_deref())));
            Ended::Done
        }
        Ok(Attempt::Retryable(_)) => {
            bar.suspend(|| eprintln!("{}: {RETRY_NOTE}; it runs again", path.display()));
            Ended::Again
        }
        Err(failure) => Ended::Failed(failure),
    }
}

/// A file a worker runs. Dropped without [`Running::end`] (the worker panicked), it ends the file
/// as failed, so that the other workers stop instead of waiting for it forever.
struct Running<'a> {
    shared: &'a Shared,
    taken: Option<Taken>,
}

impl Running<'_> {
    fn end(&mut self, ended: Ended) {
        if let Some(taken) = self.taken.take() {
            self.shared.lock().ended(&taken, ended);
            self.shared.changed.notify_all();
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.end(Ended::Failed(Failure::Internal(anyhow::anyhow!("an ingest worker stopped unexpectedly"))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a plan of files of `furnishers` with `jobs` at once, the first running file ending
    /// each time; a file in `conflicts` fails retryably whenever it does not run alone.
    /// Gives the order in which files started (a file run again shows twice, the second time
    /// negated, minus one).
    fn check(furnishers: &[usize], jobs: usize, conflicts: &[usize], expect: &[i64]) {
        let count = furnishers.iter().max().map_or(0, |m| m + 1);
        let mut plan = Plan::of(furnishers.to_vec(), count, jobs);
        let mut running: VecDeque<Taken> = VecDeque::new();
        let mut order = Vec::new();
        while !plan.finished() {
            while let Some(taken) = plan.take() {
                let file = i64::try_from(taken.file).unwrap();
                order.push(if taken.alone { -file - 1 } else { file });
                running.push_back(taken);
            }
            let taken = running.pop_front().expect("a plan not finished has a file running");
            let again = !taken.alone && conflicts.contains(&taken.file);
            plan.ended(&taken, if again { Ended::Again } else { Ended::Done });
        }
        assert!(running.is_empty());
        assert_eq!(order, expect);
    }

    #[test]
    fn files_start_in_order_within_the_window_after_their_furnisher_s_earlier_files() {
        // Two furnishers alternating: two at once, in the order given.
        check(&[0, 1, 0, 1], 2, &[], &[0, 1, 2, 3]);
        // One furnisher: one file at a time however many jobs.
        check(&[0, 0, 0], 4, &[], &[0, 1, 2]);
        // File 2 (furnisher 0) waits for file 0; file 3 (furnisher 2) may go before it.
        check(&[0, 1, 0, 2], 4, &[], &[0, 1, 3, 2]);
        // The window: file 3 may not start before file 0 is done, though its furnisher is free;
        // then it goes beside file 1, before file 2.
        check(&[0, 0, 0, 1], 3, &[], &[0, 1, 3, 2]);
        check(&[], 2, &[], &[]);
    }

    /// Three workers on threads over twelve files of three furnishers, `run` deciding each run's
    /// end; the files in the order they started, and the plan at the end.
    fn on_threads(run: impl Fn(usize, bool) -> Ended + Sync) -> (Vec<usize>, Plan) {
        let furnishers: Vec<usize> = (0..12).map(|i| i % 3).collect();
        let shared = Shared { plan: Mutex::new(Plan::of(furnishers, 3, 3)), changed: Condvar::new() };
        let started = Mutex::new(Vec::new());
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            std::thread::scope(|scope| {
                for _ in 0..3 {
                    scope.spawn(|| {
                        work(&shared, |file, alone| {
                            started.lock().unwrap().push(file);
                            run(file, alone)
                        })
                    });
                }
            })
        }));
        let plan = shared.plan.into_inner().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(outcome.is_err(), plan.failure.is_some(), "a worker panicked exactly when the plan failed");
        (started.into_inner().unwrap(), plan)
    }

    #[test]
    fn workers_on_threads_run_each_file_once_a_furnisher_s_in_order() {
        let (started, plan) = on_threads(|_, _| Ended::Done);
        assert!(plan.done.iter().all(|d| *d) && plan.failure.is_none());
        let mut sorted = started.clone();
        sorted.sort();
        assert_eq!(sorted, (0..12).collect::<Vec<_>>(), "each file once: {started:?}");
        for f in 0..3 {
            let of_f: Vec<usize> = started.iter().copied().filter(|i| i % 3 == f).collect();
            assert!(of_f.is_sorted(), "furnisher {f}'s files in order: {started:?}");
        }
    }

    #[test]
    fn a_worker_that_panics_stops_the_others_instead_of_leaving_them_waiting() {
        let (started, plan) = on_threads(|file, _| {
            assert_ne!(file, 4, "file 4's ingest panics");
            Ended::Done
        });
        assert!(plan.failure.is_some());
        assert!(!plan.done[4] && started.len() < 12, "nothing starts after the failure: {started:?}");
    }

    #[test]
    fn a_file_that_conflicted_runs_again_beside_the_others_then_alone() {
        // File 1 conflicts: it runs again at once beside file 2, conflicts again, and runs
        // alone once file 2 is done; file 3 waits for it (the window of two).
        check(&[0, 1, 2, 3], 2, &[1], &[0, 1, 2, 1, -2, 3]);
    }
}
