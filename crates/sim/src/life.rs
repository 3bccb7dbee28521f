//! What happens in a person's life and how it drives their payments, month by month.
//!
//! Each person has a behaviour type and at most one spell of trouble in the window: a struggling
//! person's trouble starts in the first two thirds of the window and may end; anybody else may
//! lose their job (a monthly hazard set by their income band), stop paying once their savings run
//! out, and resume — paying everything past due — when they find work again.

use crate::collection::Debtor;
use crate::ledger::Conduct;
use crate::params::{
    IncomeBand, JOB_LOSS_SPELL_MONTHS, STRUGGLE_CURE_PERCENT, STRUGGLE_MISSED_MONTHS, STRUGGLE_ONSET_WITHIN_PERCENT,
};
use crate::{Behaviour, SimRng, Window};
use ob_model::YearMonth;
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// Something that happened in a person's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifeEvent {
    /// Lost their job this month.
    JobLost,
    /// Found work again this month.
    Reemployed,
    /// First month they paid nothing (the start of their delinquency).
    PaymentsStopped,
    /// Paid everything past due this month (the end of their delinquency).
    PaymentsResumed,
}

/// A spell of trouble: from `from` the person pays nothing, until `until` if it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Trouble {
    /// First month with nothing paid.
    pub(crate) from: YearMonth,
    /// Month in which everything past due is paid, if ever.
    pub(crate) until: Option<YearMonth>,
}

/// A person's behaviour over the window.
#[derive(Clone, Debug)]
pub(crate) struct Timeline {
    /// The behaviour type.
    pub(crate) behaviour: Behaviour,
    /// The spell of trouble, if any.
    pub(crate) trouble: Option<Trouble>,
    /// Everything that happened, in order.
    pub(crate) events: Vec<(YearMonth, LifeEvent)>,
}

impl Timeline {
    /// Draws the person's trouble: a struggle for struggling people, a possible job loss for the
    /// others.
    pub(crate) fn draw(behaviour: Behaviour, band: &IncomeBand, window: &Window, rng: &mut SimRng) -> Timeline {
        let mut timeline = Timeline { behaviour, trouble: None, events: Vec::new() };
        if behaviour == Behaviour::Struggling {
            timeline.struggle(window, rng);
        } else {
            timeline.maybe_lose_job(band, window, rng);
        }
        timeline
    }

    fn set_trouble(&mut self, trouble: Trouble, window: &Window) {
        self.trouble = Some(trouble);
        self.events.push((trouble.from, LifeEvent::PaymentsStopped));
        if let Some(until) = trouble.until.filter(|u| *u <= window.last) {
            self.events.push((until, LifeEvent::PaymentsResumed));
        }
        self.events.sort();
    }

    /// Struggling: trouble starts within the first [`STRUGGLE_ONSET_WITHIN_PERCENT`] of the
    /// window, uniformly; [`STRUGGLE_CURE_PERCENT`] of them pay up after a few months.
    fn struggle(&mut self, window: &Window, rng: &mut SimRng) {
        let onset_span = (window.months * STRUGGLE_ONSET_WITHIN_PERCENT / 100).max(1);
        let from = window.first.plus(rng.random_range(0..i32::try_from(onset_span).unwrap_or(1)));
        let cures = rng.random_range(0..100) < STRUGGLE_CURE_PERCENT;
        let (low, high) = STRUGGLE_MISSED_MONTHS;
        let until = cures.then(|| from.plus(rng.random_range(low..=high)));
        self.set_trouble(Trouble { from, until }, window);
    }

    /// Each month of the window the person loses their job with the band's hazard (once at most).
    /// Payments stop when savings run out and resume when they find work, if that is later.
    fn maybe_lose_job(&mut self, band: &IncomeBand, window: &Window, rng: &mut SimRng) {
        let Some(lost) = window.iter().find(|_| rng.random_range(0..10_000) < band.job_loss_bp) else { return };
        let (low, high) = JOB_LOSS_SPELL_MONTHS;
        let found = lost.plus(rng.random_range(low..=high));
        self.events.push((lost, LifeEvent::JobLost));
        if found <= window.last {
            self.events.push((found, LifeEvent::Reemployed));
        }
        let stops = lost.plus(band.savings_months);
        if stops < found && stops <= window.last {
            self.set_trouble(Trouble { from: stops, until: Some(found) }, window);
        }
        self.events.sort();
    }

    /// What the person does in `month` about an account that closes in `close_month`.
    pub(crate) fn conduct(&self, month: YearMonth, close_month: Option<YearMonth>) -> Conduct {
        if let Some(t) = self.trouble
            && month >= t.from
        {
            match t.until {
                Some(until) if month == until => return Conduct::Cure,
                Some(until) if month > until => {}
                _ => return Conduct::Miss,
            }
        }
        if close_month == Some(month) {
            return Conduct::Close;
        }
        match self.behaviour {
            Behaviour::Transactor | Behaviour::Closer | Behaviour::FraudVictim => Conduct::PayFull,
            Behaviour::Revolver | Behaviour::Struggling => Conduct::PayPartial,
        }
    }

    /// How the person treats the collector in `month`.
    pub(crate) fn debtor(&self, month: YearMonth) -> Debtor {
        match self.trouble {
            Some(Trouble { until: Some(until), .. }) if month >= until => Debtor::Recovered,
            Some(_) => Debtor::InTrouble,
            None => Debtor::Recovered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(s: &str) -> YearMonth {
        YearMonth::parse(s).expect("month")
    }

    #[test]
    fn trouble_misses_then_cures_then_behaves() {
        let t = Timeline {
            behaviour: Behaviour::Transactor,
            trouble: Some(Trouble { from: month("2024-03"), until: Some(month("2024-05")) }),
            events: Vec::new(),
        };
        let close = Some(month("2024-04"));
        let got: Vec<_> = ["2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
            .iter()
            .map(|m| t.conduct(month(m), close))
            .collect();
        assert_eq!(got, [Conduct::PayFull, Conduct::Miss, Conduct::Miss, Conduct::Cure, Conduct::PayFull]);
        assert_eq!(t.debtor(month("2024-04")), Debtor::InTrouble);
        assert_eq!(t.debtor(month("2024-05")), Debtor::Recovered);
    }
}
