//! US-style output (docs/simulator.md, "US output: Metro 2 and its canonical twin"): people with
//! social security numbers and Latin names, furnishers with ASCII names, and every account and
//! month put in the form Metro 2 can carry — whole dollars, its statuses — so that a Metro 2 file
//! and its canonical twin say exactly the same thing.
//!
//! Everything here is applied to a person after their accounts are simulated: the simulation
//! itself (incomes, behaviours, balances in cents) is the same as for PRC output, and the truth
//! holds the values as reported.

use crate::SimRng;
use crate::people::{SimPerson, gcd, splitmix64};
use ob_model::records::{Identity, MonthRecord, Terms};
use ob_model::{AccountType, Currency, DocumentNumber, DocumentType, RepaymentStatus};
use rand::RngExt;
use std::io;
use time::Date;

/// Furnisher display names in US files (Metro 2 text is printable ASCII, at most 40 characters),
/// in furnisher order.
pub(crate) const FURNISHER_NAMES: [&str; 5] = [
    "HB PAY-LATER LINE (SIMULATED)",
    "ZS BANK CREDIT CARD (SIMULATED)",
    "XF CONSUMER FINANCE (SIMULATED)",
    "JS BANK HOME LOANS (SIMULATED)",
    "HX ASSET MANAGEMENT (SIMULATED)",
];

/// Common US first names.
const FIRST_NAMES: &[&str] = &[
    "JAMES",
    "MARY",
    "ROBERT",
    "PATRICIA",
    "JOHN",
    "JENNIFER",
    "MICHAEL",
    "LINDA",
    "DAVID",
    "ELIZABETH",
    "WILLIAM",
    "BARBARA",
    "RICHARD",
    "SUSAN",
    "JOSEPH",
    "JESSICA",
    "THOMAS",
    "SARAH",
    "CHARLES",
    "KAREN",
    "CHRISTOPHER",
    "LISA",
    "DANIEL",
    "NANCY",
    "MATTHEW",
    "BETTY",
    "ANTHONY",
    "SANDRA",
    "MARK",
    "MARGARET",
    "STEVEN",
    "ASHLEY",
    "ANDREW",
    "EMILY",
    "JOSHUA",
    "MICHELLE",
    "KEVIN",
    "AMANDA",
    "BRIAN",
    "MELISSA",
    "MARIA",
    "JOSE",
    "LUIS",
    "CARLOS",
    "WEI",
    "MIN",
    "PRIYA",
    "AISHA",
];

/// Common US surnames.
const SURNAMES: &[&str] = &[
    "SMITH",
    "JOHNSON",
    "WILLIAMS",
    "BROWN",
    "JONES",
    "GARCIA",
    "MILLER",
    "DAVIS",
    "RODRIGUEZ",
    "MARTINEZ",
    "HERNANDEZ",
    "LOPEZ",
    "GONZALEZ",
    "WILSON",
    "ANDERSON",
    "THOMAS",
    "TAYLOR",
    "MOORE",
    "JACKSON",
    "MARTIN",
    "LEE",
    "PEREZ",
    "THOMPSON",
    "WHITE",
    "HARRIS",
    "SANCHEZ",
    "CLARK",
    "RAMIREZ",
    "LEWIS",
    "ROBINSON",
    "WALKER",
    "YOUNG",
    "ALLEN",
    "KING",
    "WRIGHT",
    "SCOTT",
    "TORRES",
    "NGUYEN",
    "HILL",
    "FLORES",
    "GREEN",
    "ADAMS",
    "NELSON",
    "BAKER",
    "HALL",
    "RIVERA",
    "CAMPBELL",
    "MITCHELL",
    "CARTER",
    "CHEN",
    "WANG",
    "KIM",
    "PATEL",
];

/// Street names of the simulated addresses.
const STREETS: &[&str] =
    &["MAIN ST", "OAK AVE", "MAPLE DR", "PINE ST", "CEDAR LN", "ELM ST", "WASHINGTON AVE", "LAKE RD", "PARK AVE"];

/// (city, USPS state code, ZIP code) of the simulated addresses.
const CITIES: &[(&str, &str, &str)] = &[
    ("SPRINGFIELD", "IL", "62701"),
    ("COLUMBUS", "OH", "43215"),
    ("AUSTIN", "TX", "78701"),
    ("DENVER", "CO", "80202"),
    ("PORTLAND", "OR", "97205"),
    ("RALEIGH", "NC", "27601"),
    ("PHOENIX", "AZ", "85004"),
    ("ATLANTA", "GA", "30303"),
    ("BOSTON", "MA", "02108"),
    ("SEATTLE", "WA", "98101"),
    ("MADISON", "WI", "53703"),
    ("NASHVILLE", "TN", "37203"),
    ("SACRAMENTO", "CA", "95814"),
    ("RICHMOND", "VA", "23219"),
    ("ALBANY", "NY", "12207"),
    ("TAMPA", "FL", "33602"),
];

/// SSN areas that can be issued: 001–899 but 666.
const SSN_AREAS: u128 = 898;
/// SSN groups: 01–99.
const SSN_GROUPS: u128 = 99;
/// SSN serials: 0001–9999.
const SSN_SERIALS: u128 = 9_999;

/// Mixed into the seed for the SSN permutation's multiplier and offset (other constants than the
/// PRC identities' permutation).
const MULTIPLIER_SALT: u64 = 0x5553_2D53_534E_0001;
const OFFSET_SALT: u64 = 0x5553_2D53_534E_0002;

/// Every SSN that can be issued, walked in a seed-keyed order: person i takes the i-th, so no two
/// people share one.
pub(crate) struct SsnSpace {
    size: u128,
    multiplier: u128,
    offset: u128,
}

impl SsnSpace {
    /// The space for `seed`.
    pub(crate) fn new(seed: u64) -> SsnSpace {
        let size = SSN_AREAS * SSN_GROUPS * SSN_SERIALS;
        let mut multiplier = (u128::from(splitmix64(seed ^ MULTIPLIER_SALT)) % size) | 1;
        while gcd(multiplier, size) != 1 {
            multiplier += 2;
        }
        let offset = u128::from(splitmix64(seed ^ OFFSET_SALT)) % size;
        SsnSpace { size, multiplier, offset }
    }

    /// How many distinct SSNs there are.
    pub(crate) fn size(&self) -> u128 {
        self.size
    }

    /// Person `index`'s SSN as a nine-digit number AAAGGSSSS.
    pub(crate) fn ssn(&self, index: u32) -> u32 {
        let x = (self.multiplier * u128::from(index) + self.offset) % self.size;
        let serial = x % SSN_SERIALS + 1;
        let group = (x / SSN_SERIALS) % SSN_GROUPS + 1;
        let area = x / SSN_SERIALS / SSN_GROUPS + 1;
        let area = if area >= 666 { area + 1 } else { area };
        u32::try_from(area * 1_000_000 + group * 10_000 + serial).unwrap_or(u32::MAX)
    }

    /// Person `index`'s identity: a name drawn from `names` (their own RNG for US names), the
    /// birth date they have in PRC output, and their SSN.
    pub(crate) fn identity(&self, index: u32, birth_date: Date, names: &mut SimRng) -> io::Result<Identity> {
        let first = FIRST_NAMES[names.random_range(0..FIRST_NAMES.len())];
        let middle = char::from(b'A' + names.random_range(0..26_u8));
        let surname = SURNAMES[names.random_range(0..SURNAMES.len())];
        let document = DocumentNumber::parse(DocumentType::UsSsn, &format!("{:09}", self.ssn(index)))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("simulated SSN is invalid: {e}")))?;
        Ok(Identity { name: format!("{first} {middle} {surname}"), birth_date, document })
    }
}

/// A simulated US address.
pub(crate) struct Address {
    /// House number and street.
    pub(crate) line: String,
    /// City.
    pub(crate) city: &'static str,
    /// USPS state code.
    pub(crate) state: &'static str,
    /// ZIP code.
    pub(crate) zip: &'static str,
}

/// The address of the person with this identity: a function of the document number, so every
/// furnisher reports the same one (addresses are not stored by the bureau).
pub(crate) fn address(who: &Identity) -> Address {
    let digits = who.document.expose().bytes().fold(0_u64, |n, b| n.wrapping_mul(10).wrapping_add(u64::from(b)));
    let h = splitmix64(digits);
    let pick = |n: usize, shift: u32| ((h >> shift) % n as u64) as usize;
    let (city, state, zip) = CITIES[pick(CITIES.len(), 0)];
    let number = 1 + (h >> 16) % 9_999;
    Address { line: format!("{number} {}", STREETS[pick(STREETS.len(), 40)]), city, state, zip }
}

/// The parts of a simulated name: (first, middle initial, surname). Names are written
/// `FIRST M SURNAME` (the bureau's reading of Metro 2's name fields), with single-word parts.
pub(crate) fn name_parts(name: &str) -> (&str, &str, &str) {
    let (first, rest) = name.split_once(' ').unwrap_or((name, ""));
    let (middle, surname) = rest.rsplit_once(' ').unwrap_or(("", rest));
    (first, middle, surname)
}

/// Cents rounded up to a whole dollar: Metro 2 carries whole dollars, and rounding up keeps an
/// amount that is not zero from becoming zero (an overdue month keeps an amount past due).
pub(crate) fn whole_dollars(cents: i64) -> i64 {
    cents.div_euclid(100).saturating_add(i64::from(cents.rem_euclid(100) != 0)).saturating_mul(100)
}

/// Puts a person's accounts in the form Metro 2 carries (docs/simulator.md): instalment plans
/// (R4, no Metro 2 account type) left out; US dollars, whole; no due day; collections with one
/// period (terms duration 001); the contract terms Metro 2's account type and terms frequency
/// say; every month as [`month`] says.
pub(crate) fn normalize(person: &mut SimPerson) {
    person.accounts.retain(|a| a.account.account_type != AccountType::R4);
    for a in &mut person.accounts {
        let account_type = a.account.account_type;
        let base_limit = a.account.credit_limit_minor;
        a.account.currency = Currency::USD;
        a.account.credit_limit_minor = whole_dollars(base_limit);
        let periods = match account_type {
            AccountType::D1 => a.account.terms.periods,
            AccountType::C1 => Some(1),
            _ => None,
        };
        a.account.terms = Terms { periods, due_day: None, contract: crate::metro2::contract_of(a.furnisher) };
        for m in &mut a.months {
            month(m, account_type, base_limit);
        }
    }
}

/// One month as Metro 2 carries it, and as the bureau reads it back
/// (`ob_formats::metro2::to_model`): amounts in whole dollars, the used amount equal to the
/// balance, no five-level class, the limit in force on every revolving month (and on no other);
/// overdue statuses count missed payments, at most six (Metro 2's 84, 180 days or more), with 30
/// days per payment; nothing due (`*`) is current (11); a charged-off card (97) shows no days
/// past due; a collection settled for less (`G`) is paid (62 with special comment AU).
fn month(m: &mut MonthRecord, account_type: AccountType, base_limit_minor: i64) {
    let limit = m.credit_limit_minor.unwrap_or(base_limit_minor);
    m.credit_limit_minor = account_type.is_revolving().then(|| whole_dollars(limit));
    m.balance_minor = whole_dollars(m.balance_minor);
    m.used_minor = m.balance_minor;
    m.due_minor = whole_dollars(m.due_minor);
    m.paid_minor = whole_dollars(m.paid_minor);
    m.past_due_minor = whole_dollars(m.past_due_minor);
    m.class5 = None;
    use RepaymentStatus as S;
    (m.status, m.days_past_due) = match m.status {
        s if s.overdue_periods().is_some() => {
            let days = 30 * u32::from(s.overdue_periods().unwrap_or(1).min(6));
            (S::from_days_past_due(days), days)
        }
        S::NothingDue => (S::Normal, 0),
        S::EndedOther if account_type == AccountType::C1 => (S::Settled, 0),
        s => (s, 0),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ssns_can_be_issued_and_are_distinct() {
        let space = SsnSpace::new(7);
        let mut seen = std::collections::HashSet::new();
        for i in 0..50_000 {
            let ssn = space.ssn(i);
            let (area, group, serial) = (ssn / 1_000_000, ssn / 10_000 % 100, ssn % 10_000);
            assert!((1..900).contains(&area) && area != 666 && group != 0 && serial != 0, "{ssn:09}");
            assert!(seen.insert(ssn), "person {i} repeats an SSN");
        }
        let areas: std::collections::HashSet<u32> = seen.iter().map(|s| s / 1_000_000).collect();
        assert!(areas.len() > 100, "SSNs spread over the areas: {}", areas.len());
        let ends = [0, u32::try_from(space.size() - 1).unwrap_or(0)].map(|i| space.ssn(i));
        assert!(ends.iter().all(|s| DocumentNumber::parse(DocumentType::UsSsn, &format!("{s:09}")).is_ok()));
    }

    #[test]
    fn names_are_three_upper_case_words() {
        let space = SsnSpace::new(1);
        let mut rng = SimRng::seed_from_u64(3);
        let birth = Date::from_calendar_date(1980, time::Month::May, 17).unwrap_or(Date::MIN);
        for i in 0..500 {
            let who = space.identity(i, birth, &mut rng).expect("identity");
            let (first, middle, surname) = name_parts(&who.name);
            assert_eq!(format!("{first} {middle} {surname}"), who.name);
            assert_eq!(middle.len(), 1);
            assert!(who.name.bytes().all(|b| b.is_ascii_uppercase() || b == b' '), "{}", who.name);
            let a = address(&who);
            assert!(a.line.len() <= 32 && a.state.len() == 2 && a.zip.len() == 5);
        }
    }

    #[test]
    fn amounts_round_up_to_whole_dollars() {
        assert_eq!([0, 1, 99, 100, 101, 12_345].map(whole_dollars), [0, 100, 100, 100, 200, 12_400]);
    }
}
