//! Simulated people: names, PRC resident IDs with real region codes, incomes, behaviours.
//!
//! Identities are unique by construction: person i's (region, birth date, sequence number) is the
//! i-th element of a seed-keyed permutation of every possible combination, so no two people share
//! an ID number whatever the seed. Everything else comes from the person's own RNG.

use crate::account::{Answer, Holder, SimAccount, pick_weighted};
use crate::life::Timeline;
use crate::params::{BIRTH_YEARS, INCOME_BANDS, income_band};
use crate::person::{Accounts, simulate_accounts};
use crate::us::{self, SsnSpace};
use crate::{Behaviour, BehaviourMix, SimRng, Window};
use ob_model::identity::prc_check_char;
use ob_model::records::Identity;
use ob_model::{DocumentNumber, DocumentType};
use rand::{RngExt, SeedableRng};
use std::io;
use time::{Date, Duration, Month};

/// Common surnames (about a third of the population carries one of these).
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "欧阳",
];

/// Given names common for men.
const GIVEN_MALE: &[&str] = &[
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "建华", "志强", "俊杰", "浩然",
    "子轩", "宇航", "建国", "文博", "天佑", "晨阳", "志明", "国庆", "海涛", "振宇",
];

/// Given names common for women.
const GIVEN_FEMALE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "婷", "雪", "玲", "慧", "秀英", "桂英", "欣怡", "梓涵", "诗涵",
    "雨欣", "佳怡", "思雨", "晓燕", "美玲", "丽华", "春梅", "婉清", "雅琴", "梦瑶", "子涵",
];

/// Real county-level region codes (GB/T 2260) for the first six digits of the ID.
const REGION_CODES: &[&str] = &[
    "110101", // 北京 东城区
    "110105", // 北京 朝阳区
    "110108", // 北京 海淀区
    "120101", // 天津 和平区
    "210102", // 沈阳 和平区
    "310104", // 上海 徐汇区
    "310115", // 上海 浦东新区
    "320102", // 南京 玄武区
    "330106", // 杭州 西湖区
    "340104", // 合肥 蜀山区
    "350203", // 厦门 思明区
    "370102", // 济南 历下区
    "410105", // 郑州 金水区
    "420106", // 武汉 武昌区
    "430104", // 长沙 岳麓区
    "440106", // 广州 天河区
    "440305", // 深圳 南山区
    "500103", // 重庆 渝中区
    "510107", // 成都 武侯区
    "610113", // 西安 雁塔区
];

/// Sequence numbers per (region, birth date): the ID's digits 15–17.
const SEQUENCES: u128 = 1_000;

/// One simulated person and everything reported about them.
pub(crate) struct SimPerson {
    /// Index, 0-based.
    pub(crate) index: u32,
    /// Identity as every furnisher reports it.
    pub(crate) identity: Identity,
    /// Region code: the ID's first six digits (US output: the state of the address).
    pub(crate) region: &'static str,
    /// Monthly income, fen.
    pub(crate) income_fen: i64,
    /// Behaviour and life events.
    pub(crate) timeline: Timeline,
    /// Authorizations asked for.
    pub(crate) answers: Vec<Answer>,
    /// Accounts reported, in the order they were made.
    pub(crate) accounts: Vec<SimAccount>,
}

/// The RNG of person `index` under `seed`: independent of every other person's.
pub(crate) fn person_rng(seed: u64, index: u32) -> SimRng {
    keyed_rng(*b"OpenBureau sim v1 person key....", seed, index)
}

/// The RNG of person `index`'s deliberate mistakes: separate, so that the mistake rates change
/// nothing else about the person.
pub(crate) fn mistake_rng(seed: u64, index: u32) -> SimRng {
    keyed_rng(*b"OpenBureau sim v1 mistakes key..", seed, index)
}

/// The RNG of person `index`'s US name (US output only): separate, so that the rest of the
/// person is the same as in PRC output.
pub(crate) fn us_name_rng(seed: u64, index: u32) -> SimRng {
    keyed_rng(*b"OpenBureau sim v1 US people key.", seed, index)
}

fn keyed_rng(mut key: [u8; 32], seed: u64, index: u32) -> SimRng {
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..12].copy_from_slice(&index.to_le_bytes());
    SimRng::from_seed(key)
}

/// SplitMix64: a fixed mixing of the seed into the permutation's constants.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Greatest common divisor.
pub(crate) fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Every (region, birth date, sequence) combination, walked in a seed-keyed order; for US output
/// also every SSN.
pub(crate) struct IdentitySpace {
    first_birth: Date,
    size: u128,
    multiplier: u128,
    offset: u128,
    /// For US output: the SSNs.
    ssns: Option<SsnSpace>,
}

impl IdentitySpace {
    /// The space for `seed`, with SSNs when `us`.
    pub(crate) fn new(seed: u64, us: bool) -> IdentitySpace {
        let first_birth = year_start(BIRTH_YEARS.0);
        let birth_days = (year_start(BIRTH_YEARS.1 + 1) - first_birth).whole_days().unsigned_abs();
        let size = birth_days as u128 * REGION_CODES.len() as u128 * SEQUENCES;
        let mut multiplier = (u128::from(splitmix64(seed)) % size) | 1;
        while gcd(multiplier, size) != 1 {
            multiplier += 2;
        }
        let offset = u128::from(splitmix64(seed ^ 0x5EED)) % size;
        IdentitySpace { first_birth, size, multiplier, offset, ssns: us.then(|| SsnSpace::new(seed)) }
    }

    /// How many distinct people the space holds.
    pub(crate) fn size(&self) -> u128 {
        self.ssns.as_ref().map_or(self.size, |s| s.size().min(self.size))
    }

    /// Person `index`'s (region code, birth date, sequence number).
    fn slot(&self, index: u32) -> (&'static str, Date, u32) {
        let x = (self.multiplier * u128::from(index) + self.offset) % self.size;
        let sequence = (x % SEQUENCES) as u32;
        let region = REGION_CODES[((x / SEQUENCES) % REGION_CODES.len() as u128) as usize];
        let days = (x / SEQUENCES / REGION_CODES.len() as u128) as i64;
        (region, self.first_birth.saturating_add(Duration::days(days)), sequence)
    }

    /// Person `index`'s identity (name, birth date, resident ID) and region code.
    pub(crate) fn identity(&self, index: u32, rng: &mut SimRng) -> io::Result<(Identity, &'static str)> {
        let (region, birth_date, sequence) = self.slot(index);
        let first17 = format!(
            "{region}{:04}{:02}{:02}{sequence:03}",
            birth_date.year(),
            u8::from(birth_date.month()),
            birth_date.day()
        );
        let check = prc_check_char(first17.as_bytes()).ok_or_else(|| invalid("ID digits"))?;
        let document = DocumentNumber::parse(DocumentType::PrcResidentId, &format!("{first17}{check}"))
            .map_err(|e| invalid(&e.to_string()))?;
        let male = sequence % 2 == 1;
        Ok((Identity { name: draw_name(male, rng), birth_date, document }, region))
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("simulated identity is invalid: {what}"))
}

fn year_start(year: i32) -> Date {
    Date::from_calendar_date(year, Month::January, 1).unwrap_or(Date::MIN)
}

fn draw_name(male: bool, rng: &mut SimRng) -> String {
    let given = if male { GIVEN_MALE } else { GIVEN_FEMALE };
    let surname = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let given = given[rng.random_range(0..given.len())];
    format!("{surname}{given}")
}

/// Draws a behaviour with probability proportional to the mix's weights.
fn draw_behaviour(mix: &BehaviourMix, rng: &mut SimRng) -> Behaviour {
    let mut ticket = rng.random_range(0..mix.total().max(1));
    for (behaviour, weight) in mix.weights() {
        if ticket < u64::from(weight) {
            return behaviour;
        }
        ticket -= u64::from(weight);
    }
    Behaviour::Transactor
}

/// Draws a monthly income: a band by weight, then uniformly within it.
fn draw_income(rng: &mut SimRng) -> i64 {
    let weights: Vec<(usize, u32)> = INCOME_BANDS.iter().enumerate().map(|(i, b)| (i, b.weight)).collect();
    let band = &INCOME_BANDS[pick_weighted(&weights, rng)];
    rng.random_range(band.low_fen..band.high_fen)
}

/// Generates person `index` and simulates all their accounts; returns them with their mistakes
/// RNG, for the deliberate mistakes in their lines.
pub(crate) fn generate(
    config: &crate::SimConfig,
    window: &Window,
    space: &IdentitySpace,
    index: u32,
) -> io::Result<(SimPerson, SimRng)> {
    let mut rng = person_rng(config.seed, index);
    let mut mistakes = mistake_rng(config.seed, index);
    let (mut identity, mut region) = space.identity(index, &mut rng)?;
    if let Some(ssns) = &space.ssns {
        identity = ssns.identity(index, identity.birth_date, &mut us_name_rng(config.seed, index))?;
        region = us::address(&identity).state;
    }
    let income_fen = draw_income(&mut rng);
    let behaviour = draw_behaviour(&config.mix, &mut rng);
    let timeline = Timeline::draw(behaviour, income_band(income_fen), window, &mut rng);
    let holder = Holder { index, identity: &identity, income_fen, timeline: &timeline };
    let phantoms = config.mistakes.phantoms_per_million;
    let Accounts { accounts, answers } = simulate_accounts(&holder, window, phantoms, &mut rng, &mut mistakes);
    let mut person = SimPerson { index, identity, region, income_fen, timeline, answers, accounts };
    if config.format.is_us() {
        us::normalize(&mut person);
    }
    Ok((person, mistakes))
}
