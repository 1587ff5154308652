//! Email templates (`templates/*.txt` and `*.html`), rendered with minijinja.
//!
//! Each email kind (`ack`, `forward`, `redirect`, `update`) has a plain-text and an HTML template. The
//! first line of each is the subject; the rest is the body. Templates are compiled when the
//! configuration loads (a syntax error is a config error with file:line), with strict undefined
//! variables, so a typo fails loudly instead of mailing a blank; and the outbox renders each
//! against sample decisions before the configuration is used (`outbox::check_templates`), so
//! the typo fails `check-config` and a reload, not a message. HTML templates auto-escape.
//! Built-in copies are used for any template not found in the templates folder.

use std::path::PathBuf;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::diag::Problems;

/// The template names every deployment must have.
pub const KINDS: &[&str] = &["ack", "forward", "redirect", "update"];

const BUILTIN: &[(&str, &str)] = &[
    ("ack.txt", include_str!("../templates/ack.txt")),
    ("ack.html", include_str!("../templates/ack.html")),
    ("forward.txt", include_str!("../templates/forward.txt")),
    ("forward.html", include_str!("../templates/forward.html")),
    ("redirect.txt", include_str!("../templates/redirect.txt")),
    ("redirect.html", include_str!("../templates/redirect.html")),
    ("update.txt", include_str!("../templates/update.txt")),
    ("update.html", include_str!("../templates/update.html")),
];

/// The compiled templates.
pub struct Templates {
    env: Environment<'static>,
    /// Where each template came from, for messages.
    pub sources: Vec<(String, String)>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("sources", &self.sources)
            .finish()
    }
}

/// One rendered email body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Why rendering failed (a template bug: the message says which template and line).
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {}{detail}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct RenderError {
    /// The template's name (`ack.txt`).
    pub name: String,
    /// The line in the template, when minijinja knows it.
    pub line: Option<usize>,
    pub detail: String,
    /// The template used a variable the email's context does not have (strict undefined).
    pub undefined: bool,
}

impl Templates {
    /// Loads every template: from `dir` when the file exists there, else the built-in copy.
    pub fn load(dir: &Option<PathBuf>, problems: &mut Problems) -> Option<Templates> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_keep_trailing_newline(true);
        let mut sources = Vec::new();
        let mut ok = true;
        for (name, builtin) in BUILTIN {
            let (origin, text) = match dir.as_ref().map(|d| d.join(name)) {
                Some(p) if p.is_file() => match std::fs::read_to_string(&p) {
                    Ok(t) => (p.display().to_string(), t),
                    Err(e) => {
                        problems.push(format!("{}: cannot read: {e}", p.display()));
                        ok = false;
                        continue;
                    }
                },
                _ => (format!("<built-in>/templates/{name}"), (*builtin).to_string()),
            };
            if let Err(e) = env.add_template_owned(*name, text) {
                let line = e.line().map(|l| format!(":{l}")).unwrap_or_default();
                problems.push(format!(
                    "{origin}{line}: {}",
                    e.detail().unwrap_or("template syntax error")
                ));
                ok = false;
            }
            sources.push(((*name).to_string(), origin));
        }
        ok.then_some(Templates { env, sources })
    }

    /// Renders `kind` (`ack`, `forward`, `redirect`) as text and HTML.
    pub fn render<S: Serialize>(&self, kind: &str, ctx: &S) -> Result<Rendered, RenderError> {
        let ctx = minijinja::Value::from_serialize(ctx);
        let (subject, text) = self.render_part(kind, "txt", &ctx)?;
        let (_, html) = self.render_part(kind, "html", &ctx)?;
        Ok(Rendered { subject, text, html })
    }

    /// Renders both parts of `kind` and returns every failure (where [`Templates::render`]
    /// stops at the first), for checking templates at load.
    pub fn problems<S: Serialize>(&self, kind: &str, ctx: &S) -> Vec<RenderError> {
        let ctx = minijinja::Value::from_serialize(ctx);
        ["txt", "html"]
            .into_iter()
            .filter_map(|ext| self.render_part(kind, ext, &ctx).err())
            .collect()
    }

    /// Where the template `name` (`ack.txt`) was read from: its path, or `<built-in>/...`.
    pub fn origin(&self, name: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, origin)| origin.as_str())
    }

    /// One part (`txt` or `html`) of `kind`: its subject line and tidied body.
    fn render_part(
        &self,
        kind: &str,
        ext: &str,
        ctx: &minijinja::Value,
    ) -> Result<(String, String), RenderError> {
        let name = format!("{kind}.{ext}");
        let err = |e: minijinja::Error| RenderError {
            name: name.clone(),
            line: e.line(),
            // The kind ("undefined value") and minijinja's detail, without its own "(in
            // name:line)" suffix: the name and line are reported beside it.
            detail: match e.detail() {
                Some(d) => format!("{}: {d}", e.kind()),
                None => e.kind().to_string(),
            },
            undefined: e.kind() == minijinja::ErrorKind::UndefinedError,
        };
        let out = self
            .env
            .get_template(&name)
            .map_err(err)?
            .render(ctx)
            .map_err(err)?;
        let (subject, body) = out.split_once('\n').unwrap_or((out.as_str(), ""));
        Ok((subject.trim().to_string(), tidy(body)))
    }
}

/// Collapses runs of blank lines left by template blocks.
fn tidy(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut blank = 0;
    for line in body.trim_start_matches('\n').lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_templates_compile_and_render_strictly() {
        let mut p = Problems::default();
        let t = Templates::load(&None, &mut p).expect("templates");
        let ctx = serde_json::json!({
            "reference": "ECM-NCAL-2026-000001",
            "region": {"name": "Northern California", "phone": "1-833-721-6012 (TTY 711)", "hours": "weekdays"},
            "review": false, "review_reasons": [],
            "referrals": [{"reference": "ECM-NCAL-2026-000001", "program_name": "ECM", "outcome": "needs_info",
                "missing": ["Member date of birth"], "row": null, "nle": null}],
        });
        let r = t.render("ack", &ctx).expect("render");
        assert_eq!(r.subject, "Referral received - ECM-NCAL-2026-000001");
        assert!(r.text.contains("    - Member date of birth"), "{}", r.text);
        assert!(r.html.contains("<li>Member date of birth</li>"));
        // Strict: a missing variable is an error, not an empty string.
        assert!(t.render("ack", &serde_json::json!({"reference": "X"})).is_err());
    }

    #[test]
    fn syntax_errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("ack.txt"), "Subject\nline two\n{% if %}\n").expect("write");
        let mut p = Problems::default();
        assert!(Templates::load(&Some(dir.path().to_path_buf()), &mut p).is_none());
        let msg = p.into_errors().to_string();
        assert!(msg.contains("ack.txt:3:"), "{msg}");
    }
}
