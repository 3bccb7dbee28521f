//! Opening the store and its key from the command line's settings.

use crate::{Failure, usage};
use anyhow::Context as _;
use ob_bureau::Bureau;
use ob_bureau::clock::{Clock, SystemClock};
use ob_bureau::crypto::Keys;
use ob_model::policy::Policy;
use ob_store::{Location, Store};
use std::path::PathBuf;
use std::sync::Arc;

/// File name of the store inside the data folder.
pub const STORE_FILE: &str = "openbureau.sqlite";
/// File name of the default key file inside the data folder.
pub const KEY_FILE: &str = "openbureau.key";
/// Environment variable holding the key itself.
pub const KEY_ENV: &str = "OPENBUREAU_KEY";

/// The bureau over whichever store `--store` names.
pub type AnyBureau = Bureau<Box<dyn Store>>;

/// Where things are, and the rules in force.
pub struct Context {
    /// Data folder.
    pub data: PathBuf,
    /// The store: `--store`, else the SQLite file in the data folder.
    pub store: Location,
    /// Explicit key file.
    pub key_file: Option<PathBuf>,
    /// The policy.
    pub policy: Policy,
}

impl Context {
    /// Settings from the command line; `policy` is `prc`, `us` or a JSON file's path.
    pub fn new(
        data: PathBuf,
        store: Option<&str>,
        key_file: Option<PathBuf>,
        policy: &str,
    ) -> Result<Context, Failure> {
        let store = match store {
            Some(text) => Location::parse(text).map_err(|e| usage(format!("--store {text}: {e}")))?,
            None => Location::Sqlite(data.join(STORE_FILE)),
        };
        let policy = match Policy::named(policy) {
            Some(p) => p,
            None => {
                let text = std::fs::read_to_string(policy).map_err(|e| {
                    usage(format!(
                        "--policy {policy}: not `prc` or `us`, and no policy file can be read there ({e}); \
                         use --policy prc, --policy us, or the path of a policy JSON file (docs/rights.md)"
                    ))
                })?;
                let parsed: Policy = serde_json::from_str(&text).map_err(|e| {
                    usage(format!("--policy {policy}: not a valid policy file: {e} (its fields: docs/rights.md)"))
                })?;
                let problems: Vec<String> = parsed.check().iter().map(ToString::to_string).collect();
                if !problems.is_empty() {
                    let problems = problems.join("; ");
                    return Err(usage(format!("--policy {policy}: {problems} (the bounds: docs/rights.md)")));
                }
                parsed
            }
        };
        Ok(Context { data, store, key_file, policy })
    }

    /// The SQLite store's path, when the store is SQLite.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match &self.store {
            Location::Sqlite(p) => Some(p),
            Location::Postgres(_) => None,
        }
    }

    /// The key file's path.
    pub fn key_path(&self) -> PathBuf {
        self.key_file.clone().unwrap_or_else(|| self.data.join(KEY_FILE))
    }

    /// Loads the key: from `OPENBUREAU_KEY`, else the key file; when neither exists and
    /// `create` is set, generates a key file.
    pub fn keys(&self, create: bool) -> Result<Keys, Failure> {
        if let Ok(hex) = std::env::var(KEY_ENV) {
            return Keys::from_hex(&hex).map_err(|e| usage(format!("{KEY_ENV}: {e}")));
        }
        let path = self.key_path();
        if path.exists() {
            return Keys::load(&path).map_err(usage);
        }
        if !create {
            return Err(usage(format!(
                "no key: set {KEY_ENV} or create the store first (no key file at {})",
                path.display()
            )));
        }
        eprintln!(
            "created a new key file at {} — keep it safe: without it the store's identifiers cannot be read",
            path.display()
        );
        Ok(Keys::generate(&path)?)
    }

    /// Opens the bureau on the store in the data folder. `create` allows a new store.
    pub fn bureau(&self, create: bool, clock: Arc<dyn Clock>) -> Result<AnyBureau, Failure> {
        if let Some(path) = self.sqlite_path()
            && !path.exists()
            && !create
        {
            return Err(usage(format!(
                "no store at {} (run `openbureau demo` or `openbureau ingest`)",
                path.display()
            )));
        }
        std::fs::create_dir_all(&self.data).with_context(|| format!("creating {}", self.data.display()))?;
        let keys = self.keys(create)?;
        Ok(open_bureau(&self.store, keys, clock)?.with_policy(self.policy.clone()))
    }
}

/// Opens a bureau over the store at `location`. A store that cannot be reached or opened is a
/// usage failure (exit 2): the place given is wrong, or not ready.
pub fn open_bureau(location: &Location, keys: Keys, clock: Arc<dyn Clock>) -> Result<AnyBureau, Failure> {
    let store =
        ob_store::open(location).map_err(|e| usage(format!("opening the store {}: {e}", location.display())))?;
    bureau_over(store, keys, clock)
}

/// A bureau over a store already open; a store made with another key is a usage failure.
pub fn bureau_over(store: Box<dyn ob_store::Store>, keys: Keys, clock: Arc<dyn Clock>) -> Result<AnyBureau, Failure> {
    Bureau::new(store, keys, clock).map_err(|e| match e {
        ob_bureau::BureauError::WrongKey | ob_bureau::BureauError::RotationUnfinished => usage(e),
        other => Failure::Internal(other.into()),
    })
}

/// The system clock.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}
