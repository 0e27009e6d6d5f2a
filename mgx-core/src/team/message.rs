//! [`Message`]: what roles say to each other, and its structured facts.
//!
//! A message made with [`Message::new`] carries its facts as JSON. The default team's own
//! messages (the task, the plan, the approved plan, code and tests, the review) keep theirs
//! typed and write them as JSON only when someone reads them as JSON ([`Message::data`]): a
//! run that nobody inspects never builds a JSON tree for its files, and the prompts that
//! quote those facts write the same text straight from the typed form.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::ReviewVerdict;

/// What roles say to each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// What it is (see [`kinds`](super::kinds)); roles watch kinds. The default team's kinds
    /// are borrowed, others owned.
    pub kind: Cow<'static, str>,
    /// The role (or `run`) that published it; the default team's names are borrowed.
    pub from: Cow<'static, str>,
    /// The text (a model's answer, a manifest, a plan).
    pub content: String,
    /// Structured facts (the parsed analysis, the files of a manifest, a verdict): read them
    /// with [`Message::data`], change them with [`Message::data_mut`].
    pub(crate) data: Data,
}

impl Message {
    /// A message whose structured facts are `data`.
    pub fn new(kind: &str, from: &str, content: impl Into<String>, data: Value) -> Self {
        Self::with_data(
            kind,
            from,
            content,
            Data {
                json: data,
                facts: None,
            },
        )
    }

    /// A message of the default team, its facts typed.
    pub(crate) fn with_facts(
        kind: &str,
        from: &str,
        content: impl Into<String>,
        facts: Facts,
    ) -> Self {
        Self::with_data(
            kind,
            from,
            content,
            Data {
                json: Value::Null,
                facts: Some((facts, OnceLock::new())),
            },
        )
    }

    pub(super) fn with_data(
        kind: &str,
        from: &str,
        content: impl Into<String>,
        data: Data,
    ) -> Self {
        Message {
            kind: word(kind, &KINDS),
            from: word(from, &SENDERS),
            content: content.into(),
            data,
        }
    }

    /// The structured facts as JSON: `{"files": [{"content": …, "path": …}]}` for code and
    /// tests, `{"steps": […]}` for a plan, `{"findings": […], "verdict": …}` for a review, the
    /// analysis object as the model gave it.
    ///
    /// ```
    /// use mgx_core::team::Message;
    ///
    /// let m = Message::new("note", "writer", "hello", serde_json::json!({"words": 1}));
    /// assert_eq!(m.data()["words"], 1);
    /// ```
    pub fn data(&self) -> &Value {
        self.data.json()
    }

    /// The structured facts as JSON, to change.
    pub fn data_mut(&mut self) -> &mut Value {
        if let Some((facts, mut json)) = self.data.facts.take() {
            self.data.json = json.take().unwrap_or_else(|| facts.to_json());
        }
        &mut self.data.json
    }

    /// The structured facts as JSON, taken out of the message.
    pub fn into_data(self) -> Value {
        match self.data.facts {
            Some((facts, mut json)) => json.take().unwrap_or_else(|| facts.to_json()),
            None => self.data.json,
        }
    }

    /// The typed facts of a default team's message.
    pub(crate) fn facts(&self) -> Option<&Facts> {
        self.data.facts.as_ref().map(|(facts, _)| facts)
    }

    // What the run reads of a message, typed or written as JSON by a custom role: each read
    // here, beside the JSON form it mirrors.

    /// A plan's steps (`{"steps": […]}`).
    pub(crate) fn plan_steps(&self) -> Vec<String> {
        match self.facts() {
            Some(Facts::Plan { steps }) => steps.to_vec(),
            _ => self.data()["steps"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The approved plan of this plan, with the approval's feedback: its steps shared when
    /// typed; a custom plan's facts with the feedback beside them (or in place of what is
    /// not an object).
    pub(crate) fn approved(&self, feedback: Option<String>) -> Message {
        let kind = super::kinds::APPROVED_PLAN;
        match self.facts() {
            Some(Facts::Plan { steps }) => Message::with_facts(
                kind,
                "run",
                self.content.clone(),
                Facts::ApprovedPlan {
                    steps: std::sync::Arc::clone(steps),
                    feedback,
                },
            ),
            _ => {
                let mut data = match self.data() {
                    Value::Object(map) => map.clone(),
                    _ => serde_json::Map::new(),
                };
                data.insert(
                    "feedback".into(),
                    feedback.map_or(Value::Null, Value::String),
                );
                Message::new(kind, "run", self.content.clone(), Value::Object(data))
            }
        }
    }

    /// A review's verdict (`{"findings": […], "verdict": …}`), if it reads as one: an
    /// object only (serde would also read `["approved"]` as a verdict, and a review that is not
    /// the shape asked for must not approve anything).
    pub(crate) fn review_verdict(&self) -> Option<ReviewVerdict> {
        match self.facts() {
            Some(Facts::Review(verdict)) => Some(verdict.clone()),
            _ => match self.data() {
                data @ Value::Object(_) => ReviewVerdict::deserialize(data).ok(),
                _ => None,
            },
        }
    }

    /// The content of file `path` among the files of code or tests (the first entry of that
    /// path, as [`Message::files`] lists them), without listing them all.
    pub(crate) fn file(&self, path: &str) -> Option<&str> {
        if let Some(Facts::Files(files)) = self.facts() {
            return files
                .iter()
                .find(|f| f.path == path)
                .map(|f| f.content.as_str());
        }
        self.data()["files"]
            .as_array()?
            .iter()
            .filter_map(|f| Some((f["path"].as_str()?, f["content"].as_str()?)))
            .find(|(p, _)| *p == path)
            .map(|(_, content)| content)
    }

    /// The files of code or tests as (path, content) (`{"files": [{"content", "path"}]}`);
    /// entries without both are left out.
    pub(crate) fn files(&self) -> Vec<(&str, &str)> {
        if let Some(Facts::Files(files)) = self.facts() {
            return files
                .iter()
                .map(|f| (f.path.as_str(), f.content.as_str()))
                .collect();
        }
        self.data()["files"]
            .as_array()
            .map(|files| {
                files
                    .iter()
                    .filter_map(|f| Some((f["path"].as_str()?, f["content"].as_str()?)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The default team's message kinds, and who sends its messages: a message of one of these
/// borrows the word instead of copying it (two blocks a message fewer).
const KINDS: [&str; 9] = [
    super::kinds::TASK,
    super::kinds::ANALYSIS,
    super::kinds::PLAN,
    super::kinds::APPROVED_PLAN,
    super::kinds::CODE,
    super::kinds::TESTS,
    super::kinds::REVIEW,
    super::kinds::REVISION_REQUEST,
    "change_set",
];
const SENDERS: [&str; 5] = ["run", "team_leader", "engineer", "tester", "reviewer"];

/// `text`, borrowed from `known` when it is one of them.
fn word(text: &str, known: &[&'static str]) -> Cow<'static, str> {
    match known.iter().find(|k| **k == text) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(text.to_string()),
    }
}

/// A message's structured facts: JSON, or the typed facts of a default team's message with
/// their JSON form made on first read.
#[derive(Debug, Clone)]
pub(crate) struct Data {
    /// The facts as JSON, when they are not typed (`Null` while they are).
    json: Value,
    /// The typed facts, and their JSON form once read.
    facts: Option<(Facts, OnceLock<Value>)>,
}

impl Data {
    fn json(&self) -> &Value {
        match &self.facts {
            Some((facts, json)) => json.get_or_init(|| facts.to_json()),
            None => &self.json,
        }
    }
}

impl PartialEq for Data {
    fn eq(&self, other: &Self) -> bool {
        self.json() == other.json()
    }
}

/// Written as its JSON form, the typed facts without building it (the same text: keys in the
/// order a JSON object keeps them, sorted).
impl Serialize for Data {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.facts {
            Some((facts, json)) => match json.get() {
                Some(value) => value.serialize(s),
                None => facts.serialize(s),
            },
            None => self.json.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Data {
            json: Value::deserialize(d)?,
            facts: None,
        })
    }
}

/// The facts of the default team's messages.
#[derive(Debug, Clone)]
pub(crate) enum Facts {
    /// The task: `{"stack": id}`.
    Task { stack: Option<&'static str> },
    /// A plan: `{"steps": […]}` (shared with the approved plan that follows it).
    Plan { steps: std::sync::Arc<[String]> },
    /// The approved plan: `{"feedback": …, "steps": […]}`.
    ApprovedPlan {
        steps: std::sync::Arc<[String]>,
        feedback: Option<String>,
    },
    /// Code or tests: `{"files": [{"content": …, "path": …}]}`.
    Files(Vec<mgx_guardrails::ManifestFile>),
    /// A review, or the revision it asks for: `{"findings": […], "verdict": …}`.
    Review(ReviewVerdict),
}

impl Facts {
    /// The JSON form.
    fn to_json(&self) -> Value {
        let strings =
            |list: &[String]| Value::Array(list.iter().cloned().map(Value::String).collect());
        match self {
            Facts::Task { stack } => object([(
                "stack",
                stack.map_or(Value::Null, |s| Value::String(s.to_string())),
            )]),
            Facts::Plan { steps } => object([("steps", strings(steps))]),
            Facts::ApprovedPlan { steps, feedback } => object([
                (
                    "feedback",
                    feedback.clone().map_or(Value::Null, Value::String),
                ),
                ("steps", strings(steps)),
            ]),
            Facts::Files(files) => object([(
                "files",
                Value::Array(
                    files
                        .iter()
                        .map(|f| {
                            object([
                                ("content", Value::String(f.content.clone())),
                                ("path", Value::String(f.path.clone())),
                            ])
                        })
                        .collect(),
                ),
            )]),
            Facts::Review(review) => object([
                ("findings", strings(&review.findings)),
                ("verdict", Value::String(review.verdict.clone())),
            ]),
        }
    }
}

/// A JSON object of `fields`, inserted one by one (collecting would gather and sort them in a
/// list of their own first).
pub(crate) fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    let mut map = serde_json::Map::new();
    for (key, value) in fields {
        map.insert(key.to_string(), value);
    }
    Value::Object(map)
}

/// The same text as [`Facts::to_json`] gives, keys sorted as a JSON object keeps them.
impl Serialize for Facts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Facts::Task { stack } => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("stack", stack)?;
                map.end()
            }
            Facts::Plan { steps } => {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("steps", &**steps)?;
                map.end()
            }
            Facts::ApprovedPlan { steps, feedback } => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("feedback", feedback)?;
                map.serialize_entry("steps", &**steps)?;
                map.end()
            }
            Facts::Files(files) => {
                struct Files<'a>(&'a [mgx_guardrails::ManifestFile]);
                impl Serialize for Files<'_> {
                    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                        let mut seq = s.serialize_seq(Some(self.0.len()))?;
                        for file in self.0 {
                            seq.serialize_element(&File(file))?;
                        }
                        seq.end()
                    }
                }
                struct File<'a>(&'a mgx_guardrails::ManifestFile);
                impl Serialize for File<'_> {
                    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                        let mut map = s.serialize_map(Some(2))?;
                        map.serialize_entry("content", &self.0.content)?;
                        map.serialize_entry("path", &self.0.path)?;
                        map.end()
                    }
                }
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("files", &Files(files))?;
                map.end()
            }
            Facts::Review(review) => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("findings", &review.findings)?;
                map.serialize_entry("verdict", &review.verdict)?;
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Facts> {
        let file = |path: &str, content: &str| mgx_guardrails::ManifestFile {
            path: path.into(),
            content: content.into(),
            line: 1,
            content_line: 2,
            fence: Some("ts".into()),
        };
        vec![
            Facts::Task {
                stack: Some("express-ts"),
            },
            Facts::Task { stack: None },
            Facts::Plan {
                steps: vec!["code".into(), "tests \"quoted\"".into()].into(),
            },
            Facts::Plan {
                steps: Vec::new().into(),
            },
            Facts::ApprovedPlan {
                steps: vec!["code".into()].into(),
                feedback: None,
            },
            Facts::ApprovedPlan {
                steps: Vec::new().into(),
                feedback: Some("ship it\n".into()),
            },
            Facts::Files(vec![
                file("src/app.ts", "export {};\n"),
                file("a/ü.json", "{\"k\": \"\\u0000\"}\n"),
            ]),
            Facts::Files(vec![]),
            Facts::Review(ReviewVerdict {
                verdict: "changes_required".into(),
                findings: vec!["add a test".into()],
            }),
        ]
    }

    #[test]
    fn typed_facts_write_the_text_their_json_form_writes() {
        for facts in every_kind() {
            let json = facts.to_json();
            assert_eq!(
                serde_json::to_string(&facts).unwrap(),
                serde_json::to_string(&json).unwrap(),
                "{facts:?}"
            );
            assert_eq!(
                serde_json::to_string_pretty(&facts).unwrap(),
                serde_json::to_string_pretty(&json).unwrap()
            );
        }
    }

    #[test]
    fn the_run_reads_typed_facts_and_json_of_the_same_shape_alike() {
        for facts in every_kind() {
            let typed = Message::with_facts("k", "r", "text", facts.clone());
            let plain = Message::new("k", "r", "text", facts.to_json());
            assert_eq!(typed.plan_steps(), plain.plan_steps(), "{facts:?}");
            assert_eq!(typed.review_verdict(), plain.review_verdict(), "{facts:?}");
            assert_eq!(typed.files(), plain.files(), "{facts:?}");
            let feedback = Some("ship it".to_string());
            assert_eq!(
                typed.approved(feedback.clone()).data(),
                plain.approved(feedback).data(),
                "{facts:?}"
            );
        }
        // What a custom role may write instead: read as far as it goes.
        let odd = Message::new("plan", "planner", "", serde_json::json!(["a"]));
        assert!(odd.plan_steps().is_empty() && odd.files().is_empty());
        assert_eq!(odd.review_verdict(), None);
        assert_eq!(
            odd.approved(None).data(),
            &serde_json::json!({"feedback": null})
        );
    }

    #[test]
    fn the_default_teams_words_are_borrowed_and_others_owned() {
        let m = Message::new(super::super::kinds::CODE, "engineer", "", Value::Null);
        assert!(matches!(
            (&m.kind, &m.from),
            (Cow::Borrowed("code"), Cow::Borrowed("engineer"))
        ));
        let m = Message::new("security_review", "security_reviewer", "", Value::Null);
        assert!(matches!((&m.kind, &m.from), (Cow::Owned(_), Cow::Owned(_))));
        assert_eq!(
            (&*m.kind, &*m.from),
            ("security_review", "security_reviewer")
        );
        // Read back from JSON, a message owns its words; it is still the same message.
        let back: Message = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn a_typed_message_reads_changes_and_round_trips_as_json() {
        for facts in every_kind() {
            let json = facts.to_json();
            let typed = Message::with_facts("k", "r", "text", facts);
            let plain = Message::new("k", "r", "text", json.clone());
            assert_eq!(typed.data(), &json);
            assert_eq!(typed, plain);
            let text = serde_json::to_string(&typed).unwrap();
            assert_eq!(text, serde_json::to_string(&plain).unwrap());
            let back: Message = serde_json::from_str(&text).unwrap();
            assert_eq!(back, typed);
            assert_eq!(typed.clone().into_data(), json);
            let mut changed = typed.clone();
            changed.data_mut()["extra"] = Value::Bool(true);
            assert_eq!(changed.data()["extra"], true);
            assert!(changed.facts().is_none());
        }
    }
}
