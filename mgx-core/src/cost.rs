//! What calls cost, from a price table the caller supplies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::llm::Usage;

/// The price of one model, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// Per million prompt tokens.
    pub input_per_million: f64,
    /// Per million answer tokens.
    pub output_per_million: f64,
}

impl Price {
    /// What `usage` costs at this price, in USD.
    pub fn cost(&self, usage: &Usage) -> f64 {
        (usage.prompt_tokens as f64 * self.input_per_million
            + usage.completion_tokens as f64 * self.output_per_million)
            / 1_000_000.0
    }
}

/// Prices by model name. A name ending in `*` prices every model that starts with the rest
/// (`"gpt-4o-2024-*"`); otherwise names match exactly, so `gpt-4o` never prices `gpt-4o-mini`.
/// mgx ships no prices: they change, and an invented price is worse than none.
///
/// ```
/// use mgx_core::cost::{Price, PriceTable};
/// use mgx_core::llm::Usage;
///
/// let table = PriceTable::new().with("gpt-4o-mini", Price { input_per_million: 0.15, output_per_million: 0.6 });
/// let usage = Usage { prompt_tokens: 1_000_000, completion_tokens: 500_000 };
/// assert_eq!(table.cost("gpt-4o-mini", Some(&usage)), Some(0.45));
/// assert_eq!(table.cost("gpt-4o-mini", None), None); // no usage reported: unknown, not guessed
/// assert_eq!(table.cost("gpt-4o", Some(&usage)), None); // no price: unknown
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PriceTable {
    prices: BTreeMap<String, Price>,
}

impl PriceTable {
    /// An empty table.
    pub fn new() -> Self {
        PriceTable::default()
    }

    /// The table with a price for `model` (or a `prefix*`).
    pub fn with(mut self, model: impl Into<String>, price: Price) -> Self {
        self.prices.insert(model.into(), price);
        self
    }

    /// A table from JSON: `{"model": {"input_per_million": 0.15, "output_per_million": 0.6}}`.
    pub fn from_json(text: &str) -> Result<Self> {
        let prices: BTreeMap<String, Price> =
            serde_json::from_str(text).map_err(|e| Error::config(format!("price table: {e}")))?;
        if let Some((model, _)) = prices.iter().find(|(_, p)| {
            !(p.input_per_million.is_finite()
                && p.output_per_million.is_finite()
                && p.input_per_million >= 0.0
                && p.output_per_million >= 0.0)
        }) {
            return Err(Error::config(format!(
                "price table: the price of {model} must be finite and not negative"
            )));
        }
        Ok(PriceTable { prices })
    }

    /// The price of `model`: an exact entry, else the longest matching `prefix*`.
    pub fn price(&self, model: &str) -> Option<Price> {
        self.prices.get(model).copied().or_else(|| {
            self.prices
                .iter()
                .filter_map(|(k, p)| {
                    let prefix = k.strip_suffix('*')?;
                    model.starts_with(prefix).then_some((prefix.len(), *p))
                })
                .max_by_key(|(len, _)| *len)
                .map(|(_, p)| p)
        })
    }

    /// The cost of a call in US dollars: `None` when the server reported no usage or the model
    /// has no price.
    pub fn cost(&self, model: &str, usage: Option<&Usage>) -> Option<f64> {
        Some(self.price(model)?.cost(usage?))
    }
}
