//! Record and replay provider calls.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::cache::CacheKey;
use crate::error::{Error, Result};
use crate::llm::{ChatRequest, ChatResponse, LlmProvider, ProviderId};

/// The version of the cassette line format.
pub const CASSETTE_FORMAT: u32 = 1;

/// What a [`Cassette`] does with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CassetteMode {
    /// Call the provider every time and append every call.
    Record,
    /// Answer from the recording; a call it lacks goes to the provider (not recorded).
    Replay,
    /// Answer from the recording only; a call it lacks is an [`Error::CassetteMiss`].
    ReplayStrict,
    /// Answer from the recording; a call it lacks goes to the provider and is appended.
    RecordMissing,
}

impl std::str::FromStr for CassetteMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.replace('-', "_").as_str() {
            "record" => Ok(CassetteMode::Record),
            "replay" => Ok(CassetteMode::Replay),
            "replay_strict" | "strict" => Ok(CassetteMode::ReplayStrict),
            "record_missing" => Ok(CassetteMode::RecordMissing),
            other => Err(Error::config(format!(
                "cassette mode {other:?}: expected record, replay, replay_strict or record_missing"
            ))),
        }
    }
}

/// One line of a cassette file.
///
/// A cassette is a JSON-lines file (UTF-8, one object per line, appended in call order):
///
/// ```json
/// {"cassette":1,"key":"<64 hex>","model":"gpt-4o-mini","request":{…ChatRequest…},"response":{…ChatResponse…}}
/// ```
///
/// `key` is the [`CacheKey`] of the request under the provider id `cassette/<model>`, where
/// `model` is the provider's default model: the same request to the same model has the same key
/// whichever provider recorded it, so a cassette recorded from Python replays in Rust or Node.
/// `request` and `response` are the serde shapes of [`ChatRequest`] and [`ChatResponse`].
/// When one key was recorded several times, replay serves the answers in order and then keeps
/// serving the last. Nothing secret is written: requests and answers carry no key or header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CassetteEntry {
    /// [`CASSETTE_FORMAT`].
    pub cassette: u32,
    /// The call's key (hex).
    pub key: String,
    /// The provider's default model.
    pub model: String,
    /// The request.
    pub request: ChatRequest,
    /// The answer.
    pub response: ChatResponse,
}

struct Recording {
    answers: HashMap<CacheKey, (Vec<ChatResponse>, usize)>,
    file: Option<std::fs::File>,
}

/// Wraps a provider to record its calls to a file, or replays them without it.
///
/// ```
/// use mgx_core::llm::{ChatRequest, LlmProvider};
/// use mgx_core::providers::{Cassette, CassetteMode, Scripted};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("mgx-cassette-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("calls.jsonl");
/// let recorder = Cassette::open(&path, CassetteMode::Record, Some(std::sync::Arc::new(Scripted::new(["4"]))))?;
/// recorder.complete(&ChatRequest::user("2+2?")).await?;
///
/// // Later, without the provider: the same call is answered from the file.
/// let player = Cassette::replay(&path, "scripted")?;
/// assert_eq!(player.complete(&ChatRequest::user("2+2?")).await?.content, "4");
/// assert!(player.complete(&ChatRequest::user("3+3?")).await.is_err()); // not recorded
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), mgx_core::Error>(())
/// # }).unwrap();
/// ```
pub struct Cassette {
    path: PathBuf,
    mode: CassetteMode,
    inner: Option<Arc<dyn LlmProvider>>,
    model: String,
    recording: Mutex<Recording>,
}

impl Cassette {
    /// A cassette at `path` in `mode` around `inner` (needed by every mode but
    /// [`CassetteMode::ReplayStrict`]). The file is read now (a missing file is an empty
    /// recording) and, in the recording modes, opened for appending.
    pub fn open(
        path: impl AsRef<Path>,
        mode: CassetteMode,
        inner: Option<Arc<dyn LlmProvider>>,
    ) -> Result<Cassette> {
        let model = match &inner {
            Some(p) => p.id().model,
            None if mode == CassetteMode::ReplayStrict => String::new(),
            None => {
                return Err(Error::config(format!(
                    "cassette mode {mode:?} needs a provider to call"
                )));
            }
        };
        let mut cassette = Self::load(path.as_ref(), mode, inner, model)?;
        if matches!(mode, CassetteMode::Record | CassetteMode::RecordMissing) {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&cassette.path)
                .map_err(|e| Error::Cassette {
                    path: cassette.path.clone(),
                    message: e.to_string(),
                })?;
            cassette
                .recording
                .get_mut()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .file = Some(file);
        }
        Ok(cassette)
    }

    /// Strict replay of `path` for calls to `model` (the model the recording provider had).
    pub fn replay(path: impl AsRef<Path>, model: impl Into<String>) -> Result<Cassette> {
        Self::load(
            path.as_ref(),
            CassetteMode::ReplayStrict,
            None,
            model.into(),
        )
    }

    fn load(
        path: &Path,
        mode: CassetteMode,
        inner: Option<Arc<dyn LlmProvider>>,
        model: String,
    ) -> Result<Cassette> {
        let mut answers: HashMap<CacheKey, (Vec<ChatResponse>, usize)> = HashMap::new();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(Error::Cassette {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                });
            }
        };
        if mode != CassetteMode::Record {
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let bad = |message: String| Error::Cassette {
                    path: path.to_path_buf(),
                    message: format!("line {}: {message}", n + 1),
                };
                let entry: CassetteEntry =
                    serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
                if entry.cassette != CASSETTE_FORMAT {
                    return Err(bad(format!(
                        "format {} (expected {CASSETTE_FORMAT})",
                        entry.cassette
                    )));
                }
                let key = CacheKey::from_hex(&entry.key).ok_or_else(|| bad("bad key".into()))?;
                answers.entry(key).or_default().0.push(entry.response);
            }
        }
        Ok(Cassette {
            path: path.to_path_buf(),
            mode,
            inner,
            model,
            recording: Mutex::new(Recording {
                answers,
                file: None,
            }),
        })
    }

    /// The key a request is recorded under.
    pub fn key(&self, request: &ChatRequest) -> CacheKey {
        CacheKey::for_request(&ProviderId::new("cassette", &self.model), request)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recording> {
        self.recording
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn recorded(&self, key: &CacheKey) -> Option<ChatResponse> {
        let mut rec = self.lock();
        let (answers, next) = rec.answers.get_mut(key)?;
        let answer = answers
            .get((*next).min(answers.len().saturating_sub(1)))?
            .clone();
        *next += 1;
        Some(answer)
    }

    fn append(&self, key: &CacheKey, request: &ChatRequest, response: &ChatResponse) -> Result<()> {
        let entry = CassetteEntry {
            cassette: CASSETTE_FORMAT,
            key: key.to_hex(),
            model: self.model.clone(),
            request: request.clone(),
            response: response.clone(),
        };
        let mut line = serde_json::to_string(&entry).map_err(|e| Error::Cassette {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        line.push('\n');
        let mut rec = self.lock();
        if let Some(file) = rec.file.as_mut() {
            // One write per line, so concurrent recorders never interleave a line.
            file.write_all(line.as_bytes())
                .and_then(|()| file.flush())
                .map_err(|e| Error::Cassette {
                    path: self.path.clone(),
                    message: e.to_string(),
                })?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Cassette {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cassette")
            .field("path", &self.path)
            .field("mode", &self.mode)
            .field("model", &self.model)
            .finish()
    }
}

#[async_trait]
impl LlmProvider for Cassette {
    fn id(&self) -> ProviderId {
        match &self.inner {
            Some(p) => p.id(),
            None => ProviderId::new("cassette", &self.model),
        }
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse> {
        let key = self.key(request);
        if self.mode != CassetteMode::Record
            && let Some(mut answer) = self.recorded(&key)
        {
            answer.cached = true;
            return Ok(answer);
        }
        let inner = match (&self.inner, self.mode) {
            (Some(inner), mode) if mode != CassetteMode::ReplayStrict => inner,
            _ => {
                return Err(Error::CassetteMiss {
                    path: self.path.clone(),
                    key: key.to_hex(),
                    request: request.describe(),
                });
            }
        };
        let answer = inner.complete(request).await?;
        if matches!(
            self.mode,
            CassetteMode::Record | CassetteMode::RecordMissing
        ) {
            self.append(&key, request, &answer)?;
        }
        Ok(answer)
    }
}
