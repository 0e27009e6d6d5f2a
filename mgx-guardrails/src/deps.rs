//! Dependencies declared in the dependency files of generated output.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// One declared dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    /// The package name as declared.
    pub name: String,
    /// The 1-based line in the dependency file (0 when unknown).
    pub line: usize,
    /// Whether it is for development only (devDependencies, require-dev, dev-dependencies …).
    pub dev: bool,
}

/// The dependency family a file name belongs to (`node`, `python`, `php` …), if any.
pub fn family_of(file_name: &str) -> Option<&'static str> {
    Some(match file_name {
        "package.json" => "node",
        "requirements.txt" | "pyproject.toml" | "setup.py" | "Pipfile" => "python",
        "composer.json" => "php",
        "Gemfile" => "ruby",
        "go.mod" => "go",
        "Cargo.toml" => "rust",
        "pom.xml" | "build.gradle" | "build.gradle.kts" => "java",
        "pubspec.yaml" => "dart",
        _ if file_name.ends_with(".csproj") || file_name.ends_with(".sln") => "dotnet",
        _ if file_name.starts_with("requirements") && file_name.ends_with(".txt") => "python",
        _ => return None,
    })
}

/// The dependencies declared in a dependency file; `None` when `file_name` is not one.
/// Malformed files declare nothing (they are not this module's business).
pub fn declared(file_name: &str, content: &str) -> Option<Vec<Dependency>> {
    let deps = match file_name {
        "package.json" => json_sections(
            content,
            &[
                ("dependencies", false),
                ("devDependencies", true),
                ("peerDependencies", false),
                ("optionalDependencies", false),
            ],
            |_| true,
        ),
        "composer.json" => json_sections(
            content,
            &[("require", false), ("require-dev", true)],
            |name| name != "php" && !name.starts_with("ext-") && name.contains('/'),
        ),
        "pyproject.toml" => pyproject(content),
        "Cargo.toml" => cargo(content),
        "go.mod" => go_mod(content),
        "Gemfile" => line_based(content, |line| {
            let rest = line.strip_prefix("gem ")?;
            let name = rest.trim().trim_start_matches(['\'', '"']);
            let end = name.find(['\'', '"'])?;
            Some(name[..end].to_string())
        }),
        "pubspec.yaml" => pubspec(content),
        "pom.xml" => pom(content),
        "build.gradle" | "build.gradle.kts" => line_based(content, |line| {
            let kw = [
                "implementation",
                "api",
                "testImplementation",
                "runtimeOnly",
                "compileOnly",
            ];
            let rest = kw.iter().find_map(|k| line.strip_prefix(k))?;
            let quoted = rest
                .trim_start_matches(['(', ' '])
                .trim_start_matches(['\'', '"']);
            let end = quoted.find(['\'', '"'])?;
            let coords = &quoted[..end];
            Some(coords.split(':').nth(1).unwrap_or(coords).to_string())
        }),
        _ if file_name.ends_with(".csproj") => xml_attr(content, "<PackageReference", "Include=\""),
        _ if file_name.starts_with("requirements") && file_name.ends_with(".txt") => {
            line_based(content, |line| {
                if line.starts_with('-') || line.starts_with('#') {
                    return None;
                }
                let end = line
                    .find(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
                    .unwrap_or(line.len());
                (end > 0).then(|| line[..end].to_string())
            })
        }
        _ => return None,
    };
    Some(deps)
}

/// A comparable key for a package or module name: lowercase, with `-` and `.` as `_`.
pub fn key(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace(['-', '.'], "_")
}

/// Python distributions whose import name differs from the distribution name.
pub const PYTHON_IMPORT_NAMES: &[(&str, &str)] = &[
    ("python_dotenv", "dotenv"),
    ("djangorestframework", "rest_framework"),
    ("django_environ", "environ"),
    ("pyyaml", "yaml"),
    ("beautifulsoup4", "bs4"),
    ("pillow", "pil"),
    ("scikit_learn", "sklearn"),
    ("python_jose", "jose"),
    ("python_multipart", "multipart"),
    ("psycopg2_binary", "psycopg2"),
    ("psycopg_binary", "psycopg"),
    ("opencv_python", "cv2"),
    ("attrs", "attr"),
    ("pyjwt", "jwt"),
    ("python_dateutil", "dateutil"),
    ("uvicorn_standard", "uvicorn"),
];

fn line_of(content: &str, needle: &str) -> usize {
    content.find(needle).map_or(0, |at| line_at(content, at))
}

/// The line (1-based) of byte offset `at` in `content`.
fn line_at(content: &str, at: usize) -> usize {
    1 + memchr::memchr_iter(b'\n', &content.as_bytes()[..at]).count()
}

/// The line (1-based) of the first `"name":` (a key, not a value) in `content`; 0 when it
/// is not there.
fn line_of_key(content: &str, name: &str) -> usize {
    let bytes = content.as_bytes();
    content
        .match_indices(name)
        .find(|&(at, _)| {
            let end = at + name.len();
            at > 0
                && bytes[at - 1] == b'"'
                && bytes.get(end) == Some(&b'"')
                && content[end + 1..].trim_start().starts_with(':')
        })
        .map_or(0, |(at, _)| line_at(content, at))
}

fn json_sections(
    content: &str,
    sections: &[(&str, bool)],
    keep: impl Fn(&str) -> bool,
) -> Vec<Dependency> {
    // One pass over the file: the sections asked for give their keys, everything else is
    // skipped unread (no JSON tree, no map of its keys).
    let Some(found) = section_keys(content, sections) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (keys, (_, dev)) in found.into_iter().zip(sections) {
        let Some(mut names) = keys else {
            continue;
        };
        // In name order, each once, as a JSON object holds them.
        names.sort_unstable();
        names.dedup();
        for name in names.iter().filter(|n| keep(n)) {
            out.push(Dependency {
                name: name.to_string(),
                line: line_of_key(content, name),
                dev: *dev,
            });
        }
    }
    out
}

/// The keys of the top-level sections named in `wanted` of the JSON object `content`, in
/// the order asked (the last of duplicate sections counts; a section that is not an object
/// has none); `None` when `content` is not one JSON object. Keys are borrowed from `content`
/// unless they hold escapes.
fn section_keys<'a, T>(
    content: &'a str,
    wanted: &[(&str, T)],
) -> Option<Vec<Option<Vec<Cow<'a, str>>>>> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

    struct Sections<'w, T>(&'w [(&'w str, T)]);

    impl<'de, T> DeserializeSeed<'de> for Sections<'_, T> {
        type Value = Vec<Option<Vec<Cow<'de, str>>>>;

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de, T> Visitor<'de> for Sections<'_, T> {
        type Value = Vec<Option<Vec<Cow<'de, str>>>>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = vec![None; self.0.len()];
            while let Some(Key(key)) = map.next_key()? {
                match self.0.iter().position(|(w, _)| *w == key) {
                    Some(i) => found[i] = map.next_value_seed(Keys)?,
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(found)
        }
    }

    /// A section's keys: those of an object, none for any other value (read past whole).
    struct Keys;

    impl<'de> DeserializeSeed<'de> for Keys {
        type Value = Option<Vec<Cow<'de, str>>>;

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Keys {
        type Value = Option<Vec<Cow<'de, str>>>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut keys = Vec::new();
            while let Some(Key(key)) = map.next_key()? {
                map.next_value::<IgnoredAny>()?;
                keys.push(key);
            }
            Ok(Some(keys))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }

        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    /// A key, borrowed unless it holds escapes (`Cow<str>` itself always copies).
    struct Key<'de>(Cow<'de, str>);

    impl<'de> serde::Deserialize<'de> for Key<'de> {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct KeyVisitor;
            impl<'de> Visitor<'de> for KeyVisitor {
                type Value = Key<'de>;

                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a string")
                }

                fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                    Ok(Key(Cow::Borrowed(v)))
                }

                fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                    Ok(Key(Cow::Owned(v.to_string())))
                }

                fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                    Ok(Key(Cow::Owned(v)))
                }
            }
            d.deserialize_str(KeyVisitor)
        }
    }

    let mut de = serde_json::Deserializer::from_str(content);
    let found = Sections(wanted).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(found)
}

fn toml_table_keys(
    table: Option<&toml::Value>,
    content: &str,
    dev: bool,
    out: &mut Vec<Dependency>,
) {
    if let Some(toml::Value::Table(t)) = table {
        for name in t.keys().filter(|n| *n != "python") {
            out.push(Dependency {
                name: name.clone(),
                line: line_of(content, &format!("\n{name}")),
                dev,
            });
        }
    }
}

fn pyproject(content: &str) -> Vec<Dependency> {
    let Ok(doc) = content.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let requirement_name = |spec: &str| {
        let end = spec
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(spec.len());
        spec[..end].to_string()
    };
    if let Some(project) = doc.get("project") {
        if let Some(toml::Value::Array(items)) = project.get("dependencies") {
            for item in items.iter().filter_map(|v| v.as_str()) {
                let name = requirement_name(item);
                out.push(Dependency {
                    line: line_of(content, item),
                    name,
                    dev: false,
                });
            }
        }
        if let Some(toml::Value::Table(groups)) = project.get("optional-dependencies") {
            for items in groups.values().filter_map(|v| v.as_array()) {
                for item in items.iter().filter_map(|v| v.as_str()) {
                    let name = requirement_name(item);
                    out.push(Dependency {
                        line: line_of(content, item),
                        name,
                        dev: true,
                    });
                }
            }
        }
    }
    let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
    toml_table_keys(
        poetry.and_then(|p| p.get("dependencies")),
        content,
        false,
        &mut out,
    );
    toml_table_keys(
        poetry.and_then(|p| p.get("dev-dependencies")),
        content,
        true,
        &mut out,
    );
    out
}

fn cargo(content: &str) -> Vec<Dependency> {
    let Ok(doc) = content.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    toml_table_keys(doc.get("dependencies"), content, false, &mut out);
    toml_table_keys(doc.get("dev-dependencies"), content, true, &mut out);
    toml_table_keys(doc.get("build-dependencies"), content, true, &mut out);
    out
}

fn go_mod(content: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    let mut in_block = false;
    for (i, line) in content.lines().enumerate() {
        let line = line.trim();
        let spec = if in_block {
            if line.starts_with(')') {
                in_block = false;
                continue;
            }
            line
        } else if line == "require (" || line == "require(" {
            in_block = true;
            continue;
        } else if let Some(rest) = line.strip_prefix("require ") {
            rest
        } else {
            continue;
        };
        if let Some(module) = spec
            .split_whitespace()
            .next()
            .filter(|m| !m.starts_with("//"))
        {
            out.push(Dependency {
                name: module.to_string(),
                line: i + 1,
                dev: false,
            });
        }
    }
    out
}

/// The `module` line of a go.mod.
pub fn go_module(content: &str) -> Option<&str> {
    content
        .lines()
        .find_map(|l| l.trim().strip_prefix("module "))
        .map(str::trim)
}

/// The package name of a pubspec.yaml, Cargo.toml or package.json.
pub fn package_name(file_name: &str, content: &str) -> Option<String> {
    match file_name {
        "pubspec.yaml" => content
            .lines()
            .find_map(|l| l.strip_prefix("name:"))
            .map(|n| n.trim().trim_matches(['"', '\'']).to_string()),
        "Cargo.toml" => content
            .parse::<toml::Table>()
            .ok()?
            .get("package")?
            .get("name")?
            .as_str()
            .map(str::to_string),
        "package.json" => {
            // Only the name is read; the rest of the document is skipped, not built.
            #[derive(serde::Deserialize)]
            struct Named {
                name: Option<String>,
            }
            serde_json::from_str::<Named>(content).ok()?.name
        }
        _ => None,
    }
}

fn pubspec(content: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    let mut section: Option<bool> = None;
    let lines: Vec<&str> = content.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            section = match line.trim_end() {
                "dependencies:" => Some(false),
                "dev_dependencies:" => Some(true),
                _ => None,
            };
            continue;
        }
        let Some(dev) = section else { continue };
        let indent = line.len() - line.trim_start().len();
        let Some((name, value)) = line.trim().split_once(':') else {
            continue;
        };
        if indent != 2 || name.is_empty() || name.starts_with('#') {
            continue;
        }
        // `flutter: sdk: flutter` (on this line or the next) is the SDK, not a package.
        let sdk = value.contains("sdk")
            || lines
                .get(i + 1)
                .is_some_and(|n| n.trim_start().starts_with("sdk:"));
        if !sdk {
            out.push(Dependency {
                name: name.to_string(),
                line: i + 1,
                dev,
            });
        }
    }
    out
}

fn line_based(content: &str, name_of: impl Fn(&str) -> Option<String>) -> Vec<Dependency> {
    content
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            name_of(l.trim()).map(|name| Dependency {
                name,
                line: i + 1,
                dev: false,
            })
        })
        .collect()
}

/// The `<artifactId>` of every `<dependency>` block of a pom.xml.
fn pom(content: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = content[from..].find("<dependency>") {
        let start = from + at;
        let end = content[start..]
            .find("</dependency>")
            .map_or(content.len(), |e| start + e);
        let block = &content[start..end];
        if let Some(a) = block.find("<artifactId>") {
            let value = &block[a + "<artifactId>".len()..];
            if let Some(close) = value.find("</artifactId>") {
                out.push(Dependency {
                    name: value[..close].trim().to_string(),
                    line: line_at(content, start + a),
                    dev: block.contains("<scope>test</scope>"),
                });
            }
        }
        from = end.max(start + 1);
    }
    out
}

fn xml_attr(content: &str, element: &str, attr: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = content[from..].find(element) {
        let tag_start = from + at;
        let tag_end = content[tag_start..]
            .find('>')
            .map_or(content.len(), |e| tag_start + e);
        if let Some(a) = content[tag_start..tag_end].find(attr) {
            let v = tag_start + a + attr.len();
            if let Some(end) = content[v..tag_end].find('"') {
                out.push(Dependency {
                    name: content[v..v + end].to_string(),
                    line: line_at(content, tag_start),
                    dev: false,
                });
            }
        }
        from = tag_end.max(tag_start + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // The sections as they were read before they were read in one pass: raw, then parsed.
    fn json_sections_reference(
        content: &str,
        sections: &[(&str, bool)],
        keep: impl Fn(&str) -> bool,
    ) -> Vec<Dependency> {
        use std::borrow::Cow;
        use std::collections::BTreeMap;
        // Only the sections asked for are read past their raw text, and only their keys: no JSON
        // tree of the whole file, no map of its keys (the last of duplicate keys counts, as in a
        // JSON tree).
        let Some(raw_sections) = raw_sections_reference(content, sections) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (raw, (_, dev)) in raw_sections.iter().zip(sections) {
            let Some(raw) = raw else {
                continue;
            };
            let Ok(names) =
                serde_json::from_str::<BTreeMap<Cow<'_, str>, serde::de::IgnoredAny>>(raw.get())
            else {
                continue;
            };
            for name in names.keys().filter(|n| keep(n)) {
                out.push(Dependency {
                    name: name.to_string(),
                    line: line_of_key(content, name),
                    dev: *dev,
                });
            }
        }
        out
    }

    /// The raw text of the top-level keys named first in `wanted` of the JSON object `content`,
    /// in the order asked (the last of duplicate keys counts); `None` when `content` is not one
    /// JSON object.
    fn raw_sections_reference<'a, T>(
        content: &'a str,
        wanted: &[(&str, T)],
    ) -> Option<Vec<Option<&'a serde_json::value::RawValue>>> {
        use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
        use serde_json::value::RawValue;
        use std::borrow::Cow;

        struct Sections<'w, T>(&'w [(&'w str, T)]);

        impl<'de, T> DeserializeSeed<'de> for Sections<'_, T> {
            type Value = Vec<Option<&'de RawValue>>;

            fn deserialize<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                d.deserialize_map(self)
            }
        }

        impl<'de, T> Visitor<'de> for Sections<'_, T> {
            type Value = Vec<Option<&'de RawValue>>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut found = vec![None; self.0.len()];
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match self.0.iter().position(|(w, _)| *w == key) {
                        Some(i) => found[i] = Some(map.next_value::<&'de RawValue>()?),
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(found)
            }
        }

        let mut de = serde_json::Deserializer::from_str(content);
        let found = Sections(wanted).deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(found)
    }

    fn jsonish() -> impl Strategy<Value = String> {
        let atom = prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"dependencies\"",
            "\"devDependencies\"",
            "\"peerDependencies\"",
            "\"optionalDependencies\"",
            "\"name\"",
            "\"a\"",
            "\"b\\u0041\"",
            "\"\"",
            "1",
            "-2.5e3",
            "true",
            "null",
            " ",
            "\n",
            "\"x\\\"y\"",
        ]);
        prop_oneof![
            prop::collection::vec(atom, 0..40).prop_map(|p| p.concat()),
            // Objects that parse, with sections of every shape.
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "dependencies",
                        "devDependencies",
                        "peerDependencies",
                        "name",
                        "z",
                    ]),
                    prop::sample::select(vec![
                        "{}",
                        "{\"a\": 1}",
                        "{\"b\": {\"c\": []}, \"a\": \"1\", \"b\": 2}",
                        "{\"\\u0078\": null}",
                        "[1, {\"a\": 1}]",
                        "\"str\"",
                        "3",
                        "null",
                        "true",
                    ]),
                ),
                0..6,
            )
            .prop_map(|fields| {
                let body: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("\"{k}\": {v}"))
                    .collect();
                format!("{{{}}}", body.join(",\n"))
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]
        /// One pass gives the dependencies the raw-then-parsed reading gave.
        #[test]
        fn one_pass_reads_the_sections_as_two_did(content in jsonish()) {
            let sections = [
                ("dependencies", false),
                ("devDependencies", true),
                ("peerDependencies", false),
                ("optionalDependencies", false),
            ];
            prop_assert_eq!(
                json_sections(&content, &sections, |_| true),
                json_sections_reference(&content, &sections, |_| true)
            );
        }
    }

    fn names(file: &str, content: &str) -> Vec<String> {
        declared(file, content)
            .unwrap_or_default()
            .into_iter()
            .map(|d| d.name)
            .collect()
    }

    #[test]
    fn json_files_give_names_lines_and_dev_flags_and_skip_what_is_not_a_section() {
        let content = "{\n  \"name\": \"express\",\n  \"dependencies\": {\n    \"express\": \"^4\",\n    \"a\\u002fb\": \"1\"\n  },\n  \"devDependencies\": {\"jest\": \"^29\"},\n  \"peerDependencies\": \"not an object\",\n  \"dependencies\": {\"express\": \"^5\"}\n}\n";
        let deps = declared("package.json", content).unwrap();
        let got: Vec<(&str, usize, bool)> = deps
            .iter()
            .map(|d| (d.name.as_str(), d.line, d.dev))
            .collect();
        // The last of duplicate keys counts, as in any JSON reader; `"express"` the value of
        // `name` on line 2 is not the dependency key on line 4.
        assert_eq!(got, [("express", 4, false), ("jest", 7, true)]);
        let escaped = r#"{"dependencies": {"a/b": "1"}}"#;
        assert_eq!(names("package.json", escaped), ["a/b"]);
        assert_eq!(names("package.json", "[1, 2]"), Vec::<String>::new());
        assert_eq!(names("package.json", "{not json"), Vec::<String>::new());
    }

    #[test]
    fn every_format() {
        assert_eq!(
            names(
                "package.json",
                r#"{"dependencies": {"express": "^4"}, "devDependencies": {"jest": "^29"}}"#
            ),
            ["express", "jest"]
        );
        assert_eq!(
            names(
                "requirements.txt",
                "# c\nfastapi==0.1\nuvicorn[standard]>=0.2\n-r other.txt\n\npython-dotenv\n"
            ),
            ["fastapi", "uvicorn", "python-dotenv"]
        );
        assert_eq!(
            names(
                "pyproject.toml",
                "[project]\nname='x'\ndependencies = [\"fastapi>=0.1\", \"httpx\"]\n"
            ),
            ["fastapi", "httpx"]
        );
        assert_eq!(
            names(
                "composer.json",
                r#"{"require": {"php": "^8.2", "ext-json": "*", "laravel/framework": "^11"}}"#
            ),
            ["laravel/framework"]
        );
        assert_eq!(
            names(
                "go.mod",
                "module example.com/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n\tgithub.com/joho/godotenv v1.5.1 // indirect\n)\nrequire golang.org/x/text v0.14.0\n"
            ),
            [
                "github.com/gin-gonic/gin",
                "github.com/joho/godotenv",
                "golang.org/x/text"
            ]
        );
        assert_eq!(
            names(
                "Cargo.toml",
                "[package]\nname = \"app\"\n[dependencies]\naxum = \"0.8\"\ntokio = { version = \"1\" }\n[dev-dependencies]\ntower = \"0.5\"\n"
            ),
            ["axum", "tokio", "tower"]
        );
        assert_eq!(
            names("Gemfile", "source 'x'\ngem 'rails', '~> 7'\ngem \"pg\"\n"),
            ["rails", "pg"]
        );
        assert_eq!(
            names(
                "pubspec.yaml",
                "name: app\ndependencies:\n  flutter:\n    sdk: flutter\n  http: ^1.2.0\n  provider: ^6.0.0\ndev_dependencies:\n  flutter_test:\n    sdk: flutter\n"
            ),
            ["http", "provider"]
        );
        assert_eq!(
            names(
                "Api.csproj",
                "<Project><ItemGroup><PackageReference Include=\"Swashbuckle.AspNetCore\" Version=\"6\" /></ItemGroup></Project>"
            ),
            ["Swashbuckle.AspNetCore"]
        );
        assert_eq!(
            names(
                "pom.xml",
                "<project><artifactId>app</artifactId><dependencies><dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency></dependencies></project>"
            ),
            ["spring-boot-starter-web"]
        );
        assert_eq!(declared("README.md", "x"), None);
        assert_eq!(names("package.json", "{ not json"), Vec::<String>::new());
    }

    #[test]
    fn names_and_families() {
        assert_eq!(
            go_module("module example.com/app\n"),
            Some("example.com/app")
        );
        assert_eq!(
            package_name("pubspec.yaml", "name: my_app\n").as_deref(),
            Some("my_app")
        );
        assert_eq!(
            package_name("Cargo.toml", "[package]\nname = \"my-app\"\n").as_deref(),
            Some("my-app")
        );
        assert_eq!(family_of("requirements-dev.txt"), Some("python"));
        assert_eq!(family_of("Api.csproj"), Some("dotnet"));
        assert_eq!(family_of("vendor"), None);
        assert_eq!(key("Python-Dotenv"), "python_dotenv");
    }
}
