//! Standard-library and built-in module names per language.
//!
//! Guardrails never report these as "extra libraries". The Python list is
//! `sys.stdlib_module_names` of CPython 3.11 (private names left out); the Node list is
//! `require('module').builtinModules` of Node 20 (a `node:` prefix is accepted on top, see
//! [`is_builtin_module`]). For languages whose standard library is a namespace (Go, Java, C#, Dart,
//! Rust) the list holds the namespace roots, and [`is_builtin_module`] applies the language's own rule.

use crate::spec::Language;

/// CPython 3.11 `sys.stdlib_module_names`, without private modules.
pub const PYTHON: &[&str] = &[
    "abc",
    "aifc",
    "antigravity",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "audioop",
    "base64",
    "bdb",
    "binascii",
    "bisect",
    "builtins",
    "bz2",
    "cProfile",
    "calendar",
    "cgi",
    "cgitb",
    "chunk",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "crypt",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "distutils",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "idlelib",
    "imaplib",
    "imghdr",
    "imp",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "lib2to3",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "mailcap",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msilib",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "nis",
    "nntplib",
    "nt",
    "ntpath",
    "nturl2path",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "ossaudiodev",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pipes",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "pydoc_data",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "sndhdr",
    "socket",
    "socketserver",
    "spwd",
    "sqlite3",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "sunau",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "telnetlib",
    "tempfile",
    "termios",
    "textwrap",
    "this",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "turtledemo",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uu",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "winsound",
    "wsgiref",
    "xdrlib",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

/// Node.js 20 `require('module').builtinModules`, without private modules.
pub const NODE: &[&str] = &[
    "assert",
    "assert/strict",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "dns/promises",
    "domain",
    "events",
    "fs",
    "fs/promises",
    "http",
    "http2",
    "https",
    "inspector",
    "inspector/promises",
    "module",
    "net",
    "os",
    "path",
    "path/posix",
    "path/win32",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "readline/promises",
    "repl",
    "stream",
    "stream/consumers",
    "stream/promises",
    "stream/web",
    "string_decoder",
    "sys",
    "timers",
    "timers/promises",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "util/types",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

/// Go: top-level standard-library packages. Any import path whose first element has no dot is
/// also standard (the Go toolchain's own rule), see [`is_builtin_module`].
pub const GO: &[&str] = &[
    "archive",
    "bufio",
    "bytes",
    "cmp",
    "compress",
    "container",
    "context",
    "crypto",
    "database",
    "debug",
    "embed",
    "encoding",
    "errors",
    "expvar",
    "flag",
    "fmt",
    "go",
    "hash",
    "html",
    "image",
    "index",
    "io",
    "iter",
    "log",
    "maps",
    "math",
    "mime",
    "net",
    "os",
    "path",
    "plugin",
    "reflect",
    "regexp",
    "runtime",
    "slices",
    "sort",
    "strconv",
    "strings",
    "sync",
    "syscall",
    "testing",
    "text",
    "time",
    "unicode",
    "unique",
    "unsafe",
];

/// Ruby: the standard library and default gems that need no Gemfile entry.
pub const RUBY: &[&str] = &[
    "abbrev",
    "base64",
    "benchmark",
    "bigdecimal",
    "cgi",
    "coverage",
    "csv",
    "date",
    "delegate",
    "digest",
    "English",
    "erb",
    "etc",
    "fcntl",
    "fiber",
    "fiddle",
    "fileutils",
    "find",
    "forwardable",
    "io/console",
    "io/wait",
    "ipaddr",
    "json",
    "logger",
    "matrix",
    "monitor",
    "mutex_m",
    "net/http",
    "net/https",
    "objspace",
    "observer",
    "open-uri",
    "open3",
    "openssl",
    "optparse",
    "ostruct",
    "pathname",
    "pp",
    "prettyprint",
    "prime",
    "pstore",
    "psych",
    "pty",
    "racc",
    "rdoc",
    "readline",
    "reline",
    "resolv",
    "ripper",
    "securerandom",
    "set",
    "shellwords",
    "singleton",
    "socket",
    "stringio",
    "strscan",
    "syslog",
    "tempfile",
    "time",
    "timeout",
    "tmpdir",
    "tsort",
    "un",
    "uri",
    "weakref",
    "yaml",
    "zlib",
];

/// Java: the platform namespaces.
pub const JAVA: &[&str] = &[
    "java", "javax", "jdk", "sun", "com.sun", "org.w3c", "org.xml",
];

/// C#: the base-class-library namespaces.
pub const CSHARP: &[&str] = &["System", "Microsoft"];

/// Dart: the `dart:` core libraries.
pub const DART: &[&str] = &[
    "dart:async",
    "dart:collection",
    "dart:convert",
    "dart:core",
    "dart:developer",
    "dart:ffi",
    "dart:html",
    "dart:io",
    "dart:isolate",
    "dart:js_interop",
    "dart:math",
    "dart:typed_data",
    "dart:ui",
];

/// Rust: the crates every Rust program has.
pub const RUST: &[&str] = &[
    "std",
    "core",
    "alloc",
    "proc_macro",
    "test",
    "crate",
    "self",
    "super",
];

/// PHP: classes and namespaces built into the language (a `use` of them needs no Composer package).
pub const PHP: &[&str] = &[
    "ArrayAccess",
    "ArrayIterator",
    "ArrayObject",
    "BackedEnum",
    "Closure",
    "Countable",
    "DateInterval",
    "DatePeriod",
    "DateTime",
    "DateTimeImmutable",
    "DateTimeInterface",
    "DateTimeZone",
    "DirectoryIterator",
    "DomainException",
    "Error",
    "ErrorException",
    "Exception",
    "Generator",
    "InvalidArgumentException",
    "Iterator",
    "IteratorAggregate",
    "JsonException",
    "JsonSerializable",
    "LogicException",
    "PDO",
    "PDOException",
    "PDOStatement",
    "Random",
    "RuntimeException",
    "SplFileInfo",
    "SplObjectStorage",
    "Stringable",
    "Throwable",
    "Traversable",
    "TypeError",
    "UnexpectedValueException",
    "UnitEnum",
    "ValueError",
    "WeakMap",
];

/// The standard-library module names of a language (empty for languages with no import system,
/// such as YAML, and for unknown languages).
pub fn modules(language: &Language) -> &'static [&'static str] {
    match language {
        Language::Python => PYTHON,
        Language::TypeScript | Language::JavaScript => NODE,
        Language::Go => GO,
        Language::Ruby => RUBY,
        Language::Java | Language::Kotlin => JAVA,
        Language::CSharp => CSHARP,
        Language::Dart => DART,
        Language::Rust => RUST,
        Language::Php => PHP,
        Language::Yaml | Language::Other(_) => &[],
    }
}

/// Whether `module` (as written in an import) belongs to the standard library of `language`.
///
/// Each language's own rule applies: Python and Ruby compare the first dotted or slashed
/// segment; Node accepts an optional `node:` prefix and sub-paths (`fs/promises`); Go treats
/// any path whose first element has no dot as standard; Java, Kotlin and C# compare namespace
/// roots; Dart compares the `dart:` library; Rust the first path segment.
///
/// ```
/// use mgx_stacks::{stdlib, Language};
/// assert!(stdlib::is_builtin_module(&Language::Python, "os.path"));
/// assert!(stdlib::is_builtin_module(&Language::TypeScript, "node:fs/promises"));
/// assert!(!stdlib::is_builtin_module(&Language::TypeScript, "express"));
/// assert!(stdlib::is_builtin_module(&Language::Go, "net/http"));
/// assert!(!stdlib::is_builtin_module(&Language::Go, "github.com/gin-gonic/gin"));
/// ```
pub fn is_builtin_module(language: &Language, module: &str) -> bool {
    let module = module.trim();
    if module.is_empty() {
        return false;
    }
    match language {
        Language::Python => contains(PYTHON, first_segment(module, &['.'])),
        Language::TypeScript | Language::JavaScript => {
            if let Some(rest) = module.strip_prefix("node:") {
                return !rest.is_empty();
            }
            NODE.contains(&module) || contains(NODE, first_segment(module, &['/']))
        }
        Language::Go => !first_segment(module, &['/']).contains('.'),
        Language::Ruby => RUBY.contains(&module) || contains(RUBY, first_segment(module, &['/'])),
        Language::Java | Language::Kotlin | Language::CSharp => {
            let roots = modules(language);
            roots.iter().any(|root| {
                module == *root
                    || module
                        .strip_prefix(root)
                        .is_some_and(|rest| rest.starts_with('.'))
            })
        }
        Language::Dart => {
            let lib = first_segment(module, &['/']);
            DART.contains(&lib)
        }
        Language::Rust => contains(RUST, first_segment(module, &[':'])),
        Language::Php => {
            let trimmed = module.trim_start_matches('\\');
            PHP.contains(&trimmed)
        }
        Language::Yaml | Language::Other(_) => false,
    }
}

fn first_segment<'a>(module: &'a str, separators: &[char]) -> &'a str {
    module
        .split(|c| separators.contains(&c))
        .next()
        .unwrap_or(module)
}

fn contains(list: &[&str], name: &str) -> bool {
    list.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_rules() {
        assert!(is_builtin_module(&Language::Python, "logging"));
        assert!(is_builtin_module(&Language::Python, "asyncio"));
        assert!(is_builtin_module(&Language::Python, "uuid"));
        assert!(is_builtin_module(
            &Language::Python,
            "xml.etree.ElementTree"
        ));
        assert!(!is_builtin_module(&Language::Python, "fastapi"));
        assert!(!is_builtin_module(&Language::Python, "dotenv"));
    }

    #[test]
    fn node_rules() {
        for m in [
            "fs",
            "node:fs",
            "path",
            "fs/promises",
            "node:test",
            "crypto",
        ] {
            assert!(is_builtin_module(&Language::TypeScript, m), "{m}");
        }
        for m in ["express", "node:", "@nestjs/core", "vitest", "vite"] {
            assert!(!is_builtin_module(&Language::JavaScript, m), "{m}");
        }
    }

    #[test]
    fn namespace_rules() {
        assert!(is_builtin_module(&Language::CSharp, "System.Text.Json"));
        assert!(!is_builtin_module(&Language::CSharp, "SystemX.Foo"));
        assert!(is_builtin_module(&Language::Java, "java.util.List"));
        assert!(!is_builtin_module(
            &Language::Java,
            "org.springframework.boot"
        ));
        assert!(is_builtin_module(&Language::Dart, "dart:io"));
        assert!(!is_builtin_module(
            &Language::Dart,
            "package:http/http.dart"
        ));
        assert!(is_builtin_module(
            &Language::Rust,
            "std::collections::HashMap"
        ));
        assert!(!is_builtin_module(&Language::Rust, "axum::Router"));
        assert!(is_builtin_module(&Language::Php, "\\DateTime"));
        assert!(!is_builtin_module(
            &Language::Php,
            "Illuminate\\Support\\Facades\\Route"
        ));
        assert!(is_builtin_module(&Language::Ruby, "net/http"));
        assert!(!is_builtin_module(&Language::Ruby, "rails"));
        assert!(!is_builtin_module(&Language::Yaml, "anything"));
    }
}
