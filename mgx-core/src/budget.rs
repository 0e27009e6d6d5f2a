//! Budgets: what a run may spend, checked before every call so that it is never exceeded.
//!
//! Before a call, [`BudgetTracker::reserve`] adds the call's worst case — the prompt's
//! estimated tokens plus its `max_tokens` (4,096 when the request sets none), priced with the
//! [`PriceTable`] — to what is spent and reserved, and refuses the call when that passes a
//! limit. After the call, [`Reservation::settle`] replaces the worst case with what the server
//! reported. When the server reports no usage, the worst case stays counted (the limit holds)
//! but the run's reported spend says the figure is unknown for that call — it is never
//! invented.
//!
//! A dollar limit needs prices: reserving a call to a model the table does not price, under a
//! dollar limit, is an error rather than a silent pass.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::cost::{Price, PriceTable};
use crate::error::Error;
use crate::llm::{ChatRequest, Usage};

/// The completion tokens assumed for a request without `max_tokens`.
pub const DEFAULT_MAX_TOKENS_ESTIMATE: u32 = 4096;

/// Limits on a run's spending. Unset limits do not limit.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Budget {
    /// US dollars.
    pub max_usd: Option<f64>,
    /// Tokens, prompt and answer together.
    pub max_tokens: Option<u64>,
}

/// What a run has spent.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Spend {
    /// Calls settled.
    pub calls: u64,
    /// Tokens the server reported.
    pub tokens: u64,
    /// Dollars of the calls whose usage and price are known.
    pub usd: f64,
    /// Calls whose usage the server did not report (their tokens and cost are unknown).
    pub calls_without_usage: u64,
    /// Calls to models without a price (their cost is unknown).
    pub calls_without_price: u64,
}

#[derive(Debug, Default)]
struct State {
    budget: Budget,
    spend: Spend,
    /// Worst cases held by calls in flight, and by settled calls without usage.
    held_tokens: u64,
    held_usd: f64,
}

/// Why a call may not be made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error(
    "budget exceeded: {what} limit {limit}, spent and held {used}, this call needs up to {needed}"
)]
pub struct BudgetExceeded {
    /// `usd` or `tokens`.
    pub what: String,
    /// The limit.
    pub limit: f64,
    /// Spent so far plus what calls in flight may still spend.
    pub used: f64,
    /// This call's worst case.
    pub needed: f64,
}

/// Tracks one run's spending against its [`Budget`]; cheap to clone and share between the
/// run's concurrent calls.
///
/// ```
/// use mgx_core::budget::{Budget, BudgetTracker};
/// use mgx_core::cost::{Price, PriceTable};
/// use mgx_core::llm::{ChatRequest, Usage};
///
/// let prices = PriceTable::new().with("m", Price { input_per_million: 1.0, output_per_million: 2.0 });
/// let budget = BudgetTracker::new(Budget { max_tokens: Some(1_000), ..Budget::default() }, prices);
/// let mut request = ChatRequest::user("hi");
/// request.max_tokens = Some(600);
/// let call = budget.reserve("m", &request).unwrap();
/// assert!(budget.reserve("m", &request).is_err()); // two worst cases do not fit in 1,000
/// call.settle(Some(Usage { prompt_tokens: 3, completion_tokens: 20 }));
/// assert!(budget.reserve("m", &request).is_ok()); // the first call used only 23
/// ```
#[derive(Debug, Clone)]
pub struct BudgetTracker {
    prices: Arc<PriceTable>,
    state: Arc<Mutex<State>>,
}

/// A call's worst case, held until [`settle`](Reservation::settle)d. Dropping it unsettled
/// (the call failed or was cancelled) releases the hold: a failed call spent nothing that
/// the server reported.
#[derive(Debug)]
pub struct Reservation {
    /// The tracker's state (not the tracker: its price table stays where it is).
    state: Arc<Mutex<State>>,
    /// The model's price, looked up when the call was reserved.
    price: Option<Price>,
    tokens: u64,
    usd: f64,
    settled: bool,
}

impl BudgetTracker {
    /// A tracker for `budget`, pricing calls with `prices`.
    pub fn new(budget: Budget, prices: PriceTable) -> Self {
        Self::with_shared_prices(budget, Arc::new(prices))
    }

    /// A tracker for `budget` pricing calls with a table shared with other trackers (a team
    /// gives each of its runs a tracker of its own and one table).
    pub fn with_shared_prices(budget: Budget, prices: Arc<PriceTable>) -> Self {
        BudgetTracker {
            prices,
            state: Arc::new(Mutex::new(State {
                budget,
                ..State::default()
            })),
        }
    }

    /// The limits.
    pub fn budget(&self) -> Budget {
        self.lock().budget
    }

    /// Set the dollar limit (e.g. once the task's complexity is known). Calls already made
    /// stay counted.
    pub fn set_max_usd(&self, usd: f64) {
        self.lock().budget.max_usd = Some(usd);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Hold the worst case of `request` to `model` until the returned reservation is settled
    /// or dropped, or refuse the call: [`ReserveError::Exceeded`] when it could pass a limit,
    /// [`ReserveError::Unpriced`] when a dollar limit is set and the model has no price.
    pub fn reserve(
        &self,
        model: &str,
        request: &ChatRequest,
    ) -> std::result::Result<Reservation, ReserveError> {
        let completion = u64::from(request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS_ESTIMATE));
        let prompt = request.estimated_prompt_tokens();
        let tokens = prompt + completion;
        let price = self.prices.price(model);
        let usd = match price.map(|p| {
            p.cost(&Usage {
                prompt_tokens: prompt,
                completion_tokens: completion,
            })
        }) {
            Some(usd) => usd,
            None if self.budget().max_usd.is_some() => {
                return Err(ReserveError::Unpriced(Error::config(format!(
                    "a dollar budget is set but the price table has no price for model {model:?}"
                ))));
            }
            None => 0.0,
        };
        let mut state = self.lock();
        let budget = state.budget;
        if let Some(limit) = budget.max_tokens {
            let used = state.spend.tokens + state.held_tokens;
            if used + tokens > limit {
                return Err(ReserveError::Exceeded(BudgetExceeded {
                    what: "tokens".into(),
                    limit: limit as f64,
                    used: used as f64,
                    needed: tokens as f64,
                }));
            }
        }
        if let Some(limit) = budget.max_usd {
            let used = state.spend.usd + state.held_usd;
            if used + usd > limit {
                return Err(ReserveError::Exceeded(BudgetExceeded {
                    what: "usd".into(),
                    limit,
                    used,
                    needed: usd,
                }));
            }
        }
        state.held_tokens += tokens;
        state.held_usd += usd;
        Ok(Reservation {
            state: Arc::clone(&self.state),
            price,
            tokens,
            usd,
            settled: false,
        })
    }

    /// The cost of a call to `model` with `usage` by this tracker's prices (`None`: unknown).
    pub fn cost(&self, model: &str, usage: Option<&Usage>) -> Option<f64> {
        self.prices.cost(model, usage)
    }

    /// What has been spent (settled calls).
    pub fn spend(&self) -> Spend {
        self.lock().spend
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Why [`BudgetTracker::reserve`] refused a call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReserveError {
    /// The call could exceed a limit.
    #[error(transparent)]
    Exceeded(BudgetExceeded),
    /// A dollar limit is set and the model has no price.
    #[error(transparent)]
    Unpriced(Error),
}

impl Reservation {
    /// What `usage` costs at the reserved model's price (`None`: no usage or no price).
    pub fn cost(&self, usage: Option<&Usage>) -> Option<f64> {
        Some(self.price?.cost(usage?))
    }

    /// Record what the call really used (`None`: the server did not say; the worst case then
    /// stays held, and the call counts as one without usage).
    pub fn settle(mut self, usage: Option<Usage>) {
        self.settled = true;
        let mut state = lock(&self.state);
        state.held_tokens = state.held_tokens.saturating_sub(self.tokens);
        state.held_usd = (state.held_usd - self.usd).max(0.0);
        state.spend.calls += 1;
        match usage {
            Some(usage) => {
                state.spend.tokens += usage.total();
                match self.cost(Some(&usage)) {
                    Some(usd) => state.spend.usd += usd,
                    None => state.spend.calls_without_price += 1,
                }
            }
            None => {
                // Unknown: keep the worst case against the limits, report nothing as spent.
                state.spend.calls_without_usage += 1;
                state.held_tokens += self.tokens;
                state.held_usd += self.usd;
            }
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.settled {
            let mut state = lock(&self.state);
            state.held_tokens = state.held_tokens.saturating_sub(self.tokens);
            state.held_usd = (state.held_usd - self.usd).max(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::Price;

    fn prices() -> PriceTable {
        PriceTable::new().with(
            "m",
            Price {
                input_per_million: 1_000.0,
                output_per_million: 1_000.0,
            },
        )
    }

    fn request(max_tokens: u32) -> ChatRequest {
        let mut r = ChatRequest::user("12345678"); // (8 + 4) / 4 = 3 prompt tokens
        r.max_tokens = Some(max_tokens);
        r
    }

    #[test]
    fn a_dollar_limit_is_never_passed_even_by_concurrent_calls() {
        // $1,000 per million tokens: a call of 3 + 97 tokens is worth at most $0.10.
        let t = BudgetTracker::new(
            Budget {
                max_usd: Some(0.25),
                ..Budget::default()
            },
            prices(),
        );
        let a = t.reserve("m", &request(97)).unwrap();
        let b = t.reserve("m", &request(97)).unwrap();
        assert!(
            matches!(t.reserve("m", &request(97)), Err(ReserveError::Exceeded(e)) if e.what == "usd")
        );
        a.settle(Some(Usage {
            prompt_tokens: 3,
            completion_tokens: 7,
        }));
        drop(b); // failed: releases its hold
        assert!((t.spend().usd - 0.01).abs() < 1e-9);
        let _c = t.reserve("m", &request(97)).unwrap();
        let _d = t.reserve("m", &request(97)).unwrap();
    }

    #[test]
    fn unknown_usage_keeps_the_worst_case_and_is_reported_unknown() {
        let t = BudgetTracker::new(
            Budget {
                max_tokens: Some(250),
                ..Budget::default()
            },
            PriceTable::new(),
        );
        t.reserve("m", &request(97)).unwrap().settle(None);
        let s = t.spend();
        assert_eq!((s.calls, s.tokens, s.calls_without_usage), (1, 0, 1));
        t.reserve("m", &request(97)).unwrap().settle(None);
        assert!(
            t.reserve("m", &request(97)).is_err(),
            "300 worst-case tokens pass 250"
        );
    }

    #[test]
    fn a_dollar_limit_without_a_price_is_an_error_not_a_pass() {
        let t = BudgetTracker::new(
            Budget {
                max_usd: Some(1.0),
                ..Budget::default()
            },
            prices(),
        );
        assert!(matches!(
            t.reserve("unpriced", &request(10)),
            Err(ReserveError::Unpriced(Error::Config { .. }))
        ));
        // Without a dollar limit, an unpriced call is fine and its cost is reported unknown.
        let t = BudgetTracker::new(Budget::default(), prices());
        t.reserve("unpriced", &request(10))
            .unwrap()
            .settle(Some(Usage {
                prompt_tokens: 1,
                completion_tokens: 1,
            }));
        assert_eq!(t.spend().calls_without_price, 1);
    }
}
