//! Stack inference from free text: word-aware, scored, honest about doubt.
//!
//! The task is split into lowercase words (`Next.js`, `C#`, `.NET` stay whole; `react-native`
//! becomes `react native`), and known phrases are looked up word by word, so "nested" never
//! means NestJS and "quick" never means UI. A phrase inside a longer one counts only as the
//! longer one ("react native" is not "react").
//!
//! Each stack collects evidence, once per distinct phrase:
//!
//! | evidence | weight |
//! |---|---|
//! | a keyword that names the stack (`fastapi`, `react native`) | 4, +1 per further keyword |
//! | a combination that names it (`laravel` + `react` → `laravel-react`) | 8 |
//! | a hint (`uvicorn`, `node.js`) | 1.5 each, at most 3 |
//! | its language named (`python`, `c#`, "in Go") | 1.5 |
//! | a kind of project it builds (`api`, `mobile app`, `web app`) | 1 per kind |
//! | its prior, a tie-breaker, only when there is other evidence | ≤ 0.5 |
//!
//! Negation counts: a phrase after "not", "no", "without", "instead of", "rather than",
//! "don't", "replace" …, after a migration verb ("port this React app to Vue") or after "from"
//! in "switch from", within four words and the same clause, subtracts its weight instead of
//! adding it ("an Express API, not FastAPI"). A phrase that also appears un-negated is not
//! subtracted ("from Vue 2 to Vue 3"), and a negated kind of project ("no frontend") counts
//! neither way.
//!
//! The best stack is returned when its score reaches [`MIN_SCORE`] — so a language alone
//! ("a Python script") or a kind alone ("a REST API") never picks a stack. When the task names
//! a framework or language no registered stack covers (Angular, Kotlin Multiplatform, C++) or
//! asks for something that is not a web, mobile or devops project (a CLI, a bot, a library),
//! only a stack named outright can win. Otherwise the result has no stack, the candidates, and a
//! note that says why. The confidence is `strength × separation`: how much evidence the winner
//! has, times how far it is ahead of the runner-up; [`CONFIDENT`] is the threshold a caller
//! should treat as sure.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::spec::{Language, StackSpec};

/// The project kinds a stack can carry in [`crate::InferenceHints::tags`].
pub const TAGS: &[&str] = &["backend", "frontend", "fullstack", "mobile"];

/// The lowest score that picks a stack.
pub const MIN_SCORE: f64 = 2.0;

/// The confidence from which an inference is sure enough to act on without asking.
pub const CONFIDENT: f64 = 0.5;

const KEYWORD_WEIGHT: f64 = 4.0;
const EXTRA_KEYWORD_WEIGHT: f64 = 1.0;
const COMBINATION_WEIGHT: f64 = 8.0;
const HINT_WEIGHT: f64 = 1.5;
const HINT_CAP: f64 = 3.0;
const LANGUAGE_WEIGHT: f64 = 1.5;
const TAG_WEIGHT: f64 = 1.0;
const NEGATION_SCOPE: usize = 4;
const MAX_CANDIDATES: usize = 5;

/// Words that name a kind of project, per tag.
const TAG_PHRASES: &[(&str, &[&str])] = &[
    (
        "backend",
        &[
            "api",
            "apis",
            "rest",
            "restful",
            "endpoint",
            "endpoints",
            "backend",
            "back end",
            "server",
            "microservice",
            "microservices",
            "web service",
            "web services",
            "crud",
            "graphql",
            "webhook",
            "webhooks",
            "json api",
        ],
    ),
    (
        "frontend",
        &[
            "frontend",
            "front end",
            "ui",
            "user interface",
            "component",
            "components",
            "dashboard",
            "dashboards",
            "spa",
            "single page app",
            "single page application",
            "website",
            "web page",
            "web site",
            "page",
            "pages",
            "admin panel",
        ],
    ),
    (
        "fullstack",
        &[
            "full stack",
            "fullstack",
            "web app",
            "web apps",
            "web application",
            "web applications",
            "webapp",
        ],
    ),
    (
        "mobile",
        &[
            "mobile",
            "mobile app",
            "mobile apps",
            "mobile application",
            "ios",
            "android",
            "iphone",
            "ipad",
            "smartphone",
            "app store",
            "play store",
        ],
    ),
];

/// Words that name a language, by the language's short code.
const LANGUAGE_PHRASES: &[(&str, &[&str])] = &[
    ("py", &["python", "python3", "py"]),
    ("ts", &["typescript", "ts"]),
    ("js", &["javascript", "js", "ecmascript", "vanilla js"]),
    ("php", &["php"]),
    ("cs", &["c#", "csharp", "c sharp"]),
    ("dart", &["dart"]),
    ("go", &["golang"]),
    ("rb", &["ruby"]),
    ("java", &["java"]),
    ("kotlin", &["kotlin"]),
    ("rust", &["rust", "rustlang"]),
    ("yaml", &["yaml", "yml"]),
];

/// Words around a bare "go" that make it the language rather than the verb.
const GO_CONTEXT: &[&str] = &[
    "api",
    "apis",
    "service",
    "services",
    "backend",
    "server",
    "microservice",
    "microservices",
    "rest",
    "web",
    "module",
    "modules",
    "http",
    "grpc",
    "binary",
    "code",
    "handler",
    "handlers",
    "app",
];
const GO_BEFORE: &[&str] = &["in", "using", "with", "written"];

/// Frameworks and languages that no built-in stack covers, with the stacks closest to them.
/// A registered stack that names one of these as a keyword or hint takes it over.
const UNSUPPORTED: &[(&str, &[&str])] = &[
    ("angular", &["react-vite", "vue-vite"]),
    ("angularjs", &["react-vite", "vue-vite"]),
    ("svelte", &["vue-vite", "react-vite"]),
    ("sveltekit", &["nextjs"]),
    ("nuxt", &["vue-vite"]),
    ("nuxt.js", &["vue-vite"]),
    ("nuxtjs", &["vue-vite"]),
    ("remix", &["nextjs"]),
    ("gatsby", &["nextjs", "react-vite"]),
    ("astro", &["nextjs", "vanilla-html"]),
    ("solidjs", &["react-vite"]),
    ("ember", &["react-vite"]),
    ("ember.js", &["react-vite"]),
    ("preact", &["react-vite"]),
    ("qwik", &["react-vite"]),
    ("symfony", &["laravel"]),
    ("codeigniter", &["laravel"]),
    ("cakephp", &["laravel"]),
    ("wordpress", &["laravel"]),
    ("phoenix", &[]),
    ("elixir", &[]),
    ("actix", &["rust-axum"]),
    ("actix web", &["rust-axum"]),
    ("koa", &["express-ts"]),
    ("hapi", &["express-ts"]),
    ("fastify", &["express-ts"]),
    ("deno", &["express-ts"]),
    ("quarkus", &["spring-boot"]),
    ("micronaut", &["spring-boot"]),
    ("ktor", &["spring-boot"]),
    ("sinatra", &["rails"]),
    ("kubernetes", &["devops-docker"]),
    ("k8s", &["devops-docker"]),
    ("helm", &["devops-docker"]),
    ("terraform", &["devops-docker"]),
    ("ansible", &["devops-docker"]),
    ("pulumi", &["devops-docker"]),
    ("gitlab ci", &["ci-github-actions"]),
    ("jenkins", &["ci-github-actions"]),
    ("circleci", &["ci-github-actions"]),
    ("travis", &["ci-github-actions"]),
    ("azure pipelines", &["ci-github-actions"]),
    ("swiftui", &["flutter", "react-native"]),
    ("swift", &["flutter", "react-native"]),
    ("jetpack compose", &["flutter", "react-native"]),
    ("kotlin multiplatform", &["flutter", "react-native"]),
    ("xamarin", &["flutter"]),
    ("ionic", &["react-native"]),
    ("electron", &[]),
    ("tauri", &[]),
    ("unity", &[]),
    ("godot", &[]),
    ("pygame", &[]),
    ("tkinter", &[]),
    ("pyqt", &[]),
    ("streamlit", &["fastapi"]),
    ("gradio", &["fastapi"]),
    ("blazor", &["dotnet-api"]),
    ("c++", &[]),
    ("cpp", &[]),
    ("scala", &[]),
    ("haskell", &[]),
    ("clojure", &[]),
    ("perl", &[]),
    ("lua", &[]),
    ("julia", &[]),
    ("fortran", &[]),
    ("cobol", &[]),
    ("zig", &[]),
    ("ocaml", &[]),
    ("erlang", &[]),
    ("objective c", &[]),
    ("matlab", &[]),
];

/// Things to build that are not a web, mobile or devops project.
const ARTIFACTS: &[&str] = &[
    "cli",
    "clis",
    "command line",
    "command line tool",
    "command line app",
    "terminal app",
    "tui",
    "script",
    "scripts",
    "shell script",
    "bash script",
    "library",
    "crate",
    "sdk",
    "bot",
    "discord bot",
    "telegram bot",
    "slack bot",
    "daemon",
    "desktop app",
    "desktop application",
    "game",
    "video game",
    "compiler",
    "interpreter",
    "kernel",
    "driver",
    "firmware",
    "notebook",
    "jupyter",
    "data pipeline",
    "etl",
    "scraper",
    "web scraper",
    "crawler",
    "machine learning",
    "ml model",
    "neural network",
    "chrome extension",
    "browser extension",
    "vscode extension",
];

/// Words that negate what follows.
const NEGATION_CUES: &[&str] = &[
    "not",
    "no",
    "without",
    "never",
    "avoid",
    "avoiding",
    "except",
    "excluding",
    "exclude",
    "don't",
    "dont",
    "doesn't",
    "doesnt",
    "won't",
    "shouldn't",
    "can't",
    "cannot",
    "non",
    "nor",
    "neither",
    "instead",
    "rather",
    "replace",
    "replacing",
    "ditch",
    "remove",
    "removing",
];

/// Verbs whose object is the source of a migration ("port this React app to Vue").
const MIGRATION_VERBS: &[&str] = &[
    "migrate",
    "migrating",
    "port",
    "porting",
    "convert",
    "converting",
    "rewrite",
    "rewriting",
];

/// Words after which "from" names the source of a migration ("switch from Flask").
const FROM_SOURCE_WORDS: &[&str] = &[
    "migrate",
    "migrating",
    "migration",
    "port",
    "porting",
    "convert",
    "converting",
    "rewrite",
    "rewriting",
    "switch",
    "switching",
    "move",
    "moving",
    "transition",
    "transitioning",
    "away",
];

/// Words that end a negation's scope (besides punctuation), once it has covered a word.
const SCOPE_BREAKERS: &[&str] = &[
    "but", "and", "with", "then", "so", "while", "whereas", "plus", "to", "into",
];

/// Further words that end the scope of a migration ("rewrite the Python backend in Go").
const MIGRATION_BREAKERS: &[&str] = &["in", "using", "on", "as"];

/// What the text says, for a candidate stack: one piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The phrase as found (lowercase words).
    pub phrase: String,
    /// What the phrase is evidence of.
    pub kind: EvidenceKind,
    /// The weight it added (negative when negated).
    pub weight: f64,
}

/// The kinds of evidence, see the module docs for their weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EvidenceKind {
    /// A keyword naming the stack.
    Keyword,
    /// All parts of one of the stack's combinations.
    Combination,
    /// A hint towards the stack.
    Hint,
    /// The stack's language.
    Language,
    /// A kind of project the stack builds.
    Tag,
    /// The stack's prior (tie-breaker).
    Prior,
}

/// A stack that fits the task to some degree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The stack id.
    pub stack: String,
    /// Its score (the sum of the evidence weights).
    pub score: f64,
    /// Why, in the order found.
    pub evidence: Vec<Evidence>,
}

/// The result of stack inference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inference {
    /// The inferred stack, or `None` when no stack fits well enough.
    pub stack: Option<String>,
    /// How sure the inference is, in `[0, 1]`; 0 when there is no stack. See [`CONFIDENT`].
    pub confidence: f64,
    /// The stacks with positive evidence, best first (at most five), the inferred one included.
    pub candidates: Vec<Candidate>,
    /// Frameworks or languages the task names that no registered stack covers.
    pub unsupported: Vec<String>,
    /// Why there is no stack, or what lowers the confidence.
    pub note: Option<String>,
}

impl Inference {
    /// Whether a stack was inferred with at least [`CONFIDENT`] confidence.
    pub fn is_confident(&self) -> bool {
        self.stack.is_some() && self.confidence >= CONFIDENT
    }

    /// The ids of the candidates, best first.
    pub fn candidate_ids(&self) -> impl Iterator<Item = &str> {
        self.candidates.iter().map(|c| c.stack.as_str())
    }
}

#[derive(Debug, Clone)]
enum Signal {
    Keyword(usize),
    Hint(usize),
    ComboPart {
        stack: usize,
        combo: usize,
        part: usize,
    },
    Language(String),
    Tag(&'static str),
    Unsupported(usize),
    Artifact,
}

#[derive(Debug, Clone)]
struct Phrase {
    words: Vec<String>,
    text: String,
    signals: Vec<Signal>,
}

/// The compiled phrase tables of a registry, built once per registry state.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    phrases: Vec<Phrase>,
    by_first_word: HashMap<String, Vec<usize>>,
    /// Per stack: the number of parts of each combination.
    combo_sizes: Vec<Vec<usize>>,
    /// Per stack: the language codes that count for it.
    languages: Vec<Vec<String>>,
    /// Per stack: the tags it carries.
    tags: Vec<Vec<String>>,
    /// The phrase id of a bare "go" (the language only in context).
    go_language: usize,
}

impl Matcher {
    pub(crate) fn new(specs: &[StackSpec]) -> Matcher {
        let mut builder = PhraseTable::default();
        let mut claimed: HashSet<String> = HashSet::new();
        let mut combo_sizes = Vec::with_capacity(specs.len());
        let mut languages = Vec::with_capacity(specs.len());
        let mut tags = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            let hints = &spec.inference;
            // A stack for a language the catalogue lacks (`elixir`) claims the language's name.
            claimed.insert(normalize_phrase(spec.language.code()));
            claimed.insert(normalize_phrase(spec.language.name()));
            for keyword in &hints.keywords {
                claimed.insert(builder.add(keyword, Signal::Keyword(i)));
            }
            for hint in &hints.hints {
                claimed.insert(builder.add(hint, Signal::Hint(i)));
            }
            for (c, combo) in hints.combinations.iter().enumerate() {
                for (p, part) in combo.iter().enumerate() {
                    for alternative in part.split('|') {
                        builder.add(
                            alternative,
                            Signal::ComboPart {
                                stack: i,
                                combo: c,
                                part: p,
                            },
                        );
                    }
                }
            }
            combo_sizes.push(hints.combinations.iter().map(Vec::len).collect());
            let mut langs = vec![spec.language.code().to_string()];
            langs.extend(
                hints
                    .languages
                    .iter()
                    .map(|l| Language::from_code(l).code().to_string()),
            );
            languages.push(langs);
            tags.push(hints.tags.clone());
        }
        for (tag, phrases) in TAG_PHRASES {
            for phrase in *phrases {
                builder.add(phrase, Signal::Tag(tag));
            }
        }
        for (code, phrases) in LANGUAGE_PHRASES {
            for phrase in *phrases {
                builder.add(phrase, Signal::Language((*code).to_string()));
            }
        }
        builder.add("go", Signal::Language("go".to_string()));
        let go_language = builder.phrase_id("go");
        for (u, (name, _)) in UNSUPPORTED.iter().enumerate() {
            if !claimed.contains(&normalize_phrase(name)) {
                builder.add(name, Signal::Unsupported(u));
            }
        }
        for artifact in ARTIFACTS {
            if !claimed.contains(&normalize_phrase(artifact)) {
                builder.add(artifact, Signal::Artifact);
            }
        }
        let PhraseTable {
            phrases,
            by_first_word,
            ..
        } = builder;
        Matcher {
            phrases,
            by_first_word,
            combo_sizes,
            languages,
            tags,
            go_language,
        }
    }

    pub(crate) fn infer(&self, text: &str, specs: &[StackSpec]) -> Inference {
        let tokens = tokenize(text);
        let negated = negation_mask(&tokens);
        let matches = self.find_matches(&tokens);

        let n = specs.len();
        let mut tally: Vec<Tally> = (0..n).map(|_| Tally::default()).collect();
        let mut unsupported: Vec<usize> = Vec::new();
        let mut artifacts: Vec<String> = Vec::new();
        let mut combo_parts: HashMap<(usize, usize), HashSet<usize>> = HashMap::new();
        let mut combo_negated: HashSet<(usize, usize)> = HashSet::new();

        for m in &matches {
            let phrase = &self.phrases[m.phrase];
            let neg = negated[m.start];
            for signal in &phrase.signals {
                match signal {
                    Signal::Keyword(s) => tally[*s].add(EvidenceKind::Keyword, &phrase.text, neg),
                    Signal::Hint(s) => tally[*s].add(EvidenceKind::Hint, &phrase.text, neg),
                    Signal::ComboPart { stack, combo, part } => {
                        if neg {
                            combo_negated.insert((*stack, *combo));
                        } else {
                            combo_parts
                                .entry((*stack, *combo))
                                .or_default()
                                .insert(*part);
                        }
                    }
                    Signal::Language(code) => {
                        for (s, langs) in self.languages.iter().enumerate() {
                            if langs.iter().any(|l| l == code) {
                                tally[s].add(EvidenceKind::Language, &phrase.text, neg);
                            }
                        }
                    }
                    // A negated kind ("no frontend") is no evidence either way.
                    Signal::Tag(_) if neg => {}
                    Signal::Tag(tag) => {
                        for (s, tags) in self.tags.iter().enumerate() {
                            if tags.iter().any(|t| t == tag) {
                                tally[s].add(EvidenceKind::Tag, tag, neg);
                            }
                        }
                    }
                    Signal::Unsupported(u) if !neg && !unsupported.contains(u) => {
                        unsupported.push(*u)
                    }
                    Signal::Artifact if !neg && !artifacts.contains(&phrase.text) => {
                        artifacts.push(phrase.text.clone())
                    }
                    Signal::Unsupported(_) | Signal::Artifact => {}
                }
            }
        }
        for ((stack, combo), parts) in &combo_parts {
            let complete = parts.len() == self.combo_sizes[*stack][*combo];
            if complete && !combo_negated.contains(&(*stack, *combo)) {
                let label = specs[*stack].inference.combinations[*combo]
                    .iter()
                    .map(|p| p.split('|').next().unwrap_or(p).trim())
                    .collect::<Vec<_>>()
                    .join(" + ");
                tally[*stack].add(EvidenceKind::Combination, &label, false);
            }
        }

        let mut candidates: Vec<(usize, Candidate, bool)> = tally
            .into_iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let named = t.names_stack();
                let (score, mut evidence) = t.score();
                if score <= 0.0 {
                    return None;
                }
                let prior = specs[i].inference.prior;
                let score = if prior > 0.0 {
                    evidence.push(Evidence {
                        phrase: "prior".into(),
                        kind: EvidenceKind::Prior,
                        weight: prior,
                    });
                    score + prior
                } else {
                    score
                };
                Some((
                    i,
                    Candidate {
                        stack: specs[i].id.clone(),
                        score: round3(score),
                        evidence,
                    },
                    named,
                ))
            })
            .collect();
        candidates.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));

        let unsupported_names: Vec<String> = unsupported
            .iter()
            .map(|&u| UNSUPPORTED[u].0.to_string())
            .collect();
        let best = candidates.first();
        let second_score = candidates.get(1).map_or(0.0, |c| c.1.score.max(0.0));

        let (stack, confidence, note) = match best {
            None => (
                None,
                0.0,
                Some(self.no_stack_note(&unsupported, &artifacts, specs)),
            ),
            Some((_, best, named)) => {
                if (!unsupported.is_empty() || !artifacts.is_empty()) && !named {
                    (
                        None,
                        0.0,
                        Some(self.no_stack_note(&unsupported, &artifacts, specs)),
                    )
                } else if best.score < MIN_SCORE {
                    let note = format!(
                        "the task names no stack; `{}` fits best but only weakly (score {} < {MIN_SCORE})",
                        best.stack, best.score
                    );
                    (None, 0.0, Some(note))
                } else {
                    let strength = 1.0 - (-best.score / 2.5).exp();
                    let separation = (best.score - second_score) / best.score;
                    let confidence = round3((strength * separation).clamp(0.0, 1.0));
                    let note = (confidence < CONFIDENT).then(|| match candidates.get(1) {
                        Some((_, runner_up, _)) => format!(
                            "`{}` is only slightly ahead of `{}`; name the stack to be sure",
                            best.stack, runner_up.stack
                        ),
                        None => format!(
                            "little in the task points to `{}`; name the stack to be sure",
                            best.stack
                        ),
                    });
                    (Some(best.stack.clone()), confidence, note)
                }
            }
        };
        let mut candidates: Vec<Candidate> = candidates.into_iter().map(|(_, c, _)| c).collect();
        candidates.truncate(MAX_CANDIDATES);
        Inference {
            stack,
            confidence,
            candidates,
            unsupported: unsupported_names,
            note,
        }
    }

    fn no_stack_note(
        &self,
        unsupported: &[usize],
        artifacts: &[String],
        specs: &[StackSpec],
    ) -> String {
        if let Some(&u) = unsupported.first() {
            let (name, nearest) = UNSUPPORTED[u];
            let nearest: Vec<&str> = nearest
                .iter()
                .copied()
                .filter(|id| specs.iter().any(|s| s.id == *id))
                .collect();
            if nearest.is_empty() {
                format!(
                    "`{name}` is not a supported stack; register a stack for it or name one explicitly"
                )
            } else {
                format!(
                    "`{name}` is not a supported stack; the closest are {}",
                    nearest
                        .iter()
                        .map(|id| format!("`{id}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        } else if let Some(artifact) = artifacts.first() {
            format!(
                "the task asks for a {artifact}, which no registered stack builds; name a stack if one fits"
            )
        } else {
            "nothing in the task names or implies a registered stack".to_string()
        }
    }

    fn find_matches(&self, tokens: &[Token]) -> Vec<Match> {
        let mut found = Vec::new();
        for (start, token) in tokens.iter().enumerate() {
            let Token::Word(word) = token else { continue };
            let Some(ids) = self.by_first_word.get(word.as_str()) else {
                continue;
            };
            for &id in ids {
                let words = &self.phrases[id].words;
                let end = start + words.len();
                if end > tokens.len() {
                    continue;
                }
                let same = words
                    .iter()
                    .zip(&tokens[start..end])
                    .all(|(w, t)| matches!(t, Token::Word(tw) if tw == w));
                if !same {
                    continue;
                }
                if id == self.go_language && !go_in_context(tokens, start) {
                    continue;
                }
                found.push(Match {
                    start,
                    end,
                    phrase: id,
                });
            }
        }
        // A phrase inside a longer phrase counts only as the longer one. Matches are found in
        // order of their start, and a containing match starts at most `longest` words earlier,
        // so each match is compared with a short window only.
        let longest = self
            .phrases
            .iter()
            .map(|p| p.words.len())
            .max()
            .unwrap_or(1);
        let mut kept = Vec::with_capacity(found.len());
        for (i, m) in found.iter().enumerate() {
            let window_start = found[..i].partition_point(|o| o.start + longest < m.start);
            let window_end = found[i..].partition_point(|o| o.start <= m.start) + i;
            let contained = found[window_start..window_end].iter().any(|o| {
                o.start <= m.start && m.end <= o.end && (o.end - o.start) > (m.end - m.start)
            });
            if !contained {
                kept.push(*m);
            }
        }
        kept
    }
}

#[derive(Default)]
struct PhraseTable {
    phrases: Vec<Phrase>,
    by_text: HashMap<String, usize>,
    by_first_word: HashMap<String, Vec<usize>>,
}

impl PhraseTable {
    /// Add a signal to a phrase (creating the phrase); returns the normalised phrase text.
    fn add(&mut self, phrase: &str, signal: Signal) -> String {
        let text = normalize_phrase(phrase);
        if text.is_empty() {
            return text;
        }
        let id = self.phrase_id(&text);
        self.phrases[id].signals.push(signal);
        text
    }

    fn phrase_id(&mut self, phrase: &str) -> usize {
        let text = normalize_phrase(phrase);
        if let Some(&id) = self.by_text.get(&text) {
            return id;
        }
        let words: Vec<String> = text.split(' ').map(str::to_string).collect();
        let id = self.phrases.len();
        self.by_first_word
            .entry(words[0].clone())
            .or_default()
            .push(id);
        self.phrases.push(Phrase {
            words,
            text: text.clone(),
            signals: Vec::new(),
        });
        self.by_text.insert(text, id);
        id
    }
}

/// Normalise a phrase the way task text is tokenised: lowercase words joined by one space.
fn normalize_phrase(phrase: &str) -> String {
    tokenize(phrase)
        .into_iter()
        .filter_map(|t| match t {
            Token::Word(w) => Some(w),
            Token::Break => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Debug, Default)]
struct Tally {
    /// (kind, phrase) → negated? (un-negated wins when both occur)
    seen: Vec<(EvidenceKind, String, bool)>,
}

impl Tally {
    fn add(&mut self, kind: EvidenceKind, phrase: &str, negated: bool) {
        match self
            .seen
            .iter_mut()
            .find(|(k, p, _)| *k == kind && p == phrase)
        {
            Some(entry) => entry.2 &= negated,
            None => self.seen.push((kind, phrase.to_string(), negated)),
        }
    }

    fn names_stack(&self) -> bool {
        self.seen.iter().any(|(k, _, neg)| {
            !neg && matches!(k, EvidenceKind::Keyword | EvidenceKind::Combination)
        })
    }

    fn score(self) -> (f64, Vec<Evidence>) {
        let mut evidence = Vec::with_capacity(self.seen.len());
        let mut keywords = 0usize;
        let mut hints = 0.0f64;
        let mut language_counted = false;
        let mut total = 0.0;
        for (kind, phrase, negated) in self.seen {
            let base = match kind {
                EvidenceKind::Keyword if !negated => {
                    keywords += 1;
                    if keywords == 1 {
                        KEYWORD_WEIGHT
                    } else {
                        EXTRA_KEYWORD_WEIGHT
                    }
                }
                EvidenceKind::Keyword => KEYWORD_WEIGHT,
                EvidenceKind::Combination => COMBINATION_WEIGHT,
                EvidenceKind::Hint if !negated => {
                    let w = HINT_WEIGHT.min(HINT_CAP - hints);
                    hints += w;
                    w
                }
                EvidenceKind::Hint => HINT_WEIGHT,
                EvidenceKind::Language if !negated => {
                    if language_counted {
                        0.0
                    } else {
                        language_counted = true;
                        LANGUAGE_WEIGHT
                    }
                }
                EvidenceKind::Language => LANGUAGE_WEIGHT,
                EvidenceKind::Tag => TAG_WEIGHT,
                EvidenceKind::Prior => 0.0,
            };
            let weight = if negated { -base } else { base };
            if weight != 0.0 {
                total += weight;
                evidence.push(Evidence {
                    phrase,
                    kind,
                    weight,
                });
            }
        }
        (total, evidence)
    }
}

#[derive(Debug, Clone, Copy)]
struct Match {
    start: usize,
    end: usize,
    phrase: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    /// Punctuation that ends a clause.
    Break,
}

/// Split text into lowercase words and clause breaks.
fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let c = if c == '’' { '\'' } else { c };
        let next_is_word = chars.peek().is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric()
            || matches!(c, '#' | '+' | '_' | '\'')
            || (c == '.' && (next_is_word || !word.is_empty()))
        {
            word.extend(c.to_lowercase());
            continue;
        }
        flush(&mut word, &mut tokens);
        if matches!(
            c,
            ',' | ';'
                | ':'
                | '!'
                | '?'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '"'
                | '“'
                | '”'
                | '\n'
                | '|'
        ) && tokens.last() != Some(&Token::Break)
        {
            tokens.push(Token::Break);
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

fn flush(word: &mut String, tokens: &mut Vec<Token>) {
    if word.is_empty() {
        return;
    }
    let mut w = std::mem::take(word);
    let mut sentence_end = false;
    while w.ends_with('.') {
        w.pop();
        sentence_end = true;
    }
    let w = w.trim_matches('\'');
    if !w.is_empty() && w != "." {
        tokens.push(Token::Word(w.to_string()));
    }
    if sentence_end && tokens.last() != Some(&Token::Break) && !tokens.is_empty() {
        tokens.push(Token::Break);
    }
}

/// For each token, whether it lies in the scope of a negation.
fn negation_mask(tokens: &[Token]) -> Vec<bool> {
    let mut mask = vec![false; tokens.len()];
    let mut remaining = 0usize;
    let mut consumed = 0usize;
    let mut migration = false;
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word(word) = token else {
            remaining = 0;
            continue;
        };
        let w = word.as_str();
        let is_migration =
            MIGRATION_VERBS.contains(&w) || (w == "from" && migration_before(tokens, i));
        let is_cue = is_migration
            || NEGATION_CUES.contains(&w)
            || (w == "of" && i > 0 && matches!(&tokens[i - 1], Token::Word(p) if p == "instead"))
            || (w == "than" && i > 0 && matches!(&tokens[i - 1], Token::Word(p) if p == "rather"));
        if is_cue {
            remaining = NEGATION_SCOPE;
            consumed = 0;
            migration = is_migration;
            continue;
        }
        let breaks = SCOPE_BREAKERS.contains(&w) || (migration && MIGRATION_BREAKERS.contains(&w));
        if remaining > 0 && breaks && consumed > 0 {
            remaining = 0;
            continue;
        }
        if remaining > 0 {
            mask[i] = true;
            remaining -= 1;
            consumed += 1;
        }
    }
    mask
}

fn migration_before(tokens: &[Token], i: usize) -> bool {
    tokens[..i]
        .iter()
        .rev()
        .take(4)
        .take_while(|t| matches!(t, Token::Word(_)))
        .any(|t| matches!(t, Token::Word(w) if FROM_SOURCE_WORDS.contains(&w.as_str())))
}

fn go_in_context(tokens: &[Token], i: usize) -> bool {
    let word_at = |j: usize| match tokens.get(j) {
        Some(Token::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    if i > 0 && word_at(i - 1).is_some_and(|w| GO_BEFORE.contains(&w)) {
        return true;
    }
    let after = (i + 1..tokens.len().min(i + 3)).map_while(word_at);
    let before = (i.saturating_sub(2)..i).rev().map_while(word_at);
    after.chain(before).any(|w| GO_CONTEXT.contains(&w))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text)
            .into_iter()
            .map(|t| match t {
                Token::Word(w) => w,
                Token::Break => "|".into(),
            })
            .collect()
    }

    #[test]
    fn tokenizer_keeps_tech_names_whole() {
        assert_eq!(
            words("Build with Next.js."),
            ["build", "with", "next.js", "|"]
        );
        assert_eq!(
            words("A .NET API in C#, not C++"),
            ["a", ".net", "api", "in", "c#", "|", "not", "c++"]
        );
        assert_eq!(words("react-native/ci-cd"), ["react", "native", "ci", "cd"]);
        assert_eq!(words("Don’t use 'Django'"), ["don't", "use", "django"]);
        assert_eq!(words("e.g. foo... bar"), ["e.g", "|", "foo", "|", "bar"]);
        assert!(words("").is_empty());
        assert_eq!(words("..."), Vec::<String>::new());
    }

    #[test]
    fn negation_scope() {
        let tokens = tokenize("an Express API, not FastAPI or Flask but Django");
        let mask = negation_mask(&tokens);
        let negated: Vec<String> = tokens
            .iter()
            .zip(mask)
            .filter_map(|(t, m)| match t {
                Token::Word(w) if m => Some(w.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(negated, ["fastapi", "or", "flask"]);
        let tokens = tokenize("migrate from Flask to FastAPI");
        let mask = negation_mask(&tokens);
        assert_eq!(mask, [false, false, true, false, false]);
        let tokens = tokenize("rewrite the Python backend in Go");
        assert_eq!(
            negation_mask(&tokens),
            [false, true, true, true, false, false]
        );
        let tokens = tokenize("not to use Django");
        assert_eq!(negation_mask(&tokens), [false, true, true, true]);
    }

    #[test]
    fn go_needs_context() {
        let go = |t: &str| {
            let tokens = tokenize(t);
            let i = tokens
                .iter()
                .position(|x| x == &Token::Word("go".into()))
                .unwrap();
            go_in_context(&tokens, i)
        };
        assert!(go("a REST API in Go"));
        assert!(go("Go microservice for payments"));
        assert!(!go("let's go build a landing page"));
        assert!(!go("ready to go"));
    }
}
