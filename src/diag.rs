//! Config source files and problem reporting with `file:line:col` positions.

use std::fmt;
use std::ops::Range;

/// One configuration file's name (as shown in messages) and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(name: String, text: String) -> Self {
        SourceFile { name, text }
    }

    /// `name:line:col` for a byte offset into the text.
    pub fn pos(&self, offset: usize) -> String {
        let before = self.text.get(..offset.min(self.text.len())).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
        format!("{}:{line}:{col}", self.name)
    }

    /// `name:line:col: message` for a span (or the file alone when there is none).
    pub fn at(&self, span: Option<Range<usize>>, msg: impl fmt::Display) -> String {
        match span {
            Some(s) => format!("{}: {msg}", self.pos(s.start)),
            None => format!("{}: {msg}", self.name),
        }
    }

    /// Parses the file as TOML into `T`, recording a positioned problem on failure.
    pub fn parse_toml<T: serde::de::DeserializeOwned>(&self, problems: &mut Problems) -> Option<T> {
        match toml::from_str::<T>(&self.text) {
            Ok(v) => Some(v),
            Err(e) => {
                let msg = e.message().trim_end().to_string();
                problems.push(self.at(e.span(), msg));
                None
            }
        }
    }
}

/// Problems collected while loading; all are reported together.
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    pub fn push(&mut self, msg: String) {
        self.0.push(msg);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_errors(self) -> ConfigErrors {
        ConfigErrors(self.0)
    }
}

/// Every problem found in the configuration, one `file:line:col: message` per line.
#[derive(Debug, thiserror::Error)]
pub struct ConfigErrors(pub Vec<String>);

impl ConfigErrors {
    pub fn single(msg: String) -> Self {
        ConfigErrors(vec![msg])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let f = SourceFile::new("x.toml".into(), "a = 1\nbb = 2\n".into());
        assert_eq!(f.pos(0), "x.toml:1:1");
        assert_eq!(f.pos(9), "x.toml:2:4");
    }
}
